/**
 * Kafka answers Metadata, DescribeCluster and FindCoordinator with the endpoints of the listener the client
 * connected on: a broker without that listener is left out (or, for a coordinator, not available).
 */

import type { BrokerRegistration } from '../../cluster/metadata-store.js'
import type { EndPoint } from '../../config/end-point.js'

export interface HostPort {
  readonly host: string
  readonly port: number
}

/**
 * `broker`'s endpoint on `listenerName`. The local broker answers from its own advertised endpoints, whose
 * ports are the bound ones (a registration may say port 0).
 */
export function listenerEndPoint(
  broker: BrokerRegistration,
  listenerName: string,
  localNodeId: number,
  localEndPoints: () => readonly EndPoint[]
): HostPort | undefined {
  if (broker.nodeId === localNodeId) {
    const local = localEndPoints().find((e) => e.listenerName === listenerName)
    if (local) return { host: local.host || '127.0.0.1', port: local.port }
  }
  const registered = broker.listeners.find((l) => l.name === listenerName)
  return registered && { host: registered.host, port: registered.port }
}
