/** One entry of `listeners` / `advertised.listeners`: `NAME://host:port`, as Kafka's EndPoint. */

import { ConfigError } from './config-error.js'
import { SECURITY_PROTOCOLS } from './security-config-keys.js'

export interface EndPoint {
  readonly listenerName: string
  /** '' means every interface (Kafka: an empty host binds the wildcard address). */
  readonly host: string
  readonly port: number
  readonly securityProtocol: string
}

const URI = /^([A-Za-z0-9_.-]+):\/\/(\[[0-9A-Fa-f:.]*\]|[^:[\]]*):(\d+)$/

export function parseEndPoints(
  key: string,
  entries: readonly string[],
  protocolMap: ReadonlyMap<string, string>
): EndPoint[] {
  const endPoints: EndPoint[] = []
  for (const entry of entries) {
    const m = URI.exec(entry)
    if (!m)
      throw ConfigError.invalidValue(key, entries.join(','), `${entry} is not of the form NAME://host:port`)
    const listenerName = m[1]!.toUpperCase()
    const rawHost = m[2]!
    const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost
    const port = Number(m[3])
    if (port > 65535)
      throw ConfigError.invalidValue(key, entries.join(','), `port ${port} must be between 0 and 65535`)
    const securityProtocol = protocolMap.get(listenerName)
    if (securityProtocol === undefined) {
      throw ConfigError.invalidValue(
        key,
        entries.join(','),
        `listener ${listenerName} has no security protocol in listener.security.protocol.map`
      )
    }
    if (endPoints.some((e) => e.listenerName === listenerName)) {
      throw ConfigError.invalidValue(
        key,
        entries.join(','),
        `listener name ${listenerName} appears more than once`
      )
    }
    endPoints.push({ listenerName, host, port, securityProtocol })
  }
  return endPoints
}

export function parseProtocolMap(key: string, entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const entry of entries) {
    const [name, protocol, ...rest] = entry.split(':')
    if (!name || !protocol || rest.length > 0) {
      throw ConfigError.invalidValue(
        key,
        entries.join(','),
        `${entry} is not of the form LISTENER_NAME:PROTOCOL`
      )
    }
    const securityProtocol = protocol.trim().toUpperCase()
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(securityProtocol)) {
      throw ConfigError.invalidValue(
        key,
        entries.join(','),
        `${securityProtocol} is not a security protocol; must be one of [${SECURITY_PROTOCOLS.join(', ')}]`
      )
    }
    map.set(name.trim().toUpperCase(), securityProtocol)
  }
  return map
}

export function formatEndPoint(e: EndPoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host
  return `${e.listenerName}://${host}:${e.port}`
}
