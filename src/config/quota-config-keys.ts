/**
 * Broker keys of client quotas and connection quotas, with Kafka's names and defaults: the windows rates are
 * measured over (KIP-13, KIP-599) and the connection limits (KIP-402, KIP-612).
 */

import type { ConfigKey } from './config-def.js'

const INT_MAX = '2147483647'

export const QUOTA_CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'quota.window.num', type: 'int', default: '11', min: 1 },
  { name: 'quota.window.size.seconds', type: 'int', default: '1', min: 1 },
  { name: 'controller.quota.window.num', type: 'int', default: '11', min: 1 },
  { name: 'controller.quota.window.size.seconds', type: 'int', default: '1', min: 1 },
  { name: 'max.connections', type: 'int', default: INT_MAX, min: 0 },
  { name: 'max.connections.per.ip', type: 'int', default: INT_MAX, min: 0 },
  { name: 'max.connections.per.ip.overrides', type: 'string', default: '' },
  { name: 'max.connection.creation.rate', type: 'int', default: INT_MAX, min: 0 }
]

/** Keys a listener may override with `listener.name.<listener>.<key>`, as Kafka allows. */
export const QUOTA_LISTENER_PREFIXABLE_KEYS: ReadonlySet<string> = new Set([
  'max.connections',
  'max.connection.creation.rate'
])
