/**
 * `admin.listeners`: the URLs the admin HTTP listener binds, `http://host:port` or `https://host:port`
 * (port 0 takes an ephemeral port; an empty host or 0.0.0.0 binds every interface). An empty list disables
 * the listener. Errors name the key, as the config layer's do.
 */

import { ConfigError } from '../config/config-error.js'

export interface AdminListener {
  readonly url: string
  readonly tls: boolean
  readonly host: string
  readonly port: number
}

const ADMIN_URL = /^(https?):\/\/(\[[0-9A-Fa-f:.]*\]|[^:[\]/]*):(\d+)\/?$/

export function parseAdminListeners(entries: readonly string[]): AdminListener[] {
  return entries.map((url) => {
    const m = ADMIN_URL.exec(url)
    const port = m ? Number(m[3]) : Number.NaN
    if (!m || port > 65535) {
      throw ConfigError.invalidValue('admin.listeners', url, 'expected http://host:port or https://host:port')
    }
    const host = m[2]!.replace(/^\[|\]$/g, '')
    return { url, tls: m[1] === 'https', host, port }
  })
}

/** Loopback addresses, where an unauthenticated admin listener is only reachable from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
