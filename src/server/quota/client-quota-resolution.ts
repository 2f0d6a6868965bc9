/**
 * Which configured entity's quota applies to a request, in Kafka's order of precedence (the 8 levels of the
 * default quota callback), and which sensor it is measured by. Each quota key resolves on its own: a user's
 * producer_byte_rate may come from /users/alice while its consumer_byte_rate comes from /clients/<default>.
 *
 *   1 user + client-id      5 <default> user + <default> client-id
 *   2 user + <default>      6 <default> user
 *   3 user                  7 client-id
 *   4 <default> + client-id 8 <default> client-id
 *
 * A quota on an entity with a user part is measured per user name, one with a client-id part per client id
 * (so `<default>` gives every user, or client id, a quota of its own, and a user-only quota is shared by all
 * of that user's client ids).
 */

import { type ClientQuotaEntity, clientQuotaEntityKey } from '../../cluster/metadata-store.js'

export interface ResolvedQuota {
  /** The quota's value. */
  readonly limit: number
  /** The sensor this request is measured by: requests with the same key share one rate. */
  readonly sensorKey: string
}

function candidates(user: string, clientId: string): readonly ClientQuotaEntity[] {
  return [
    { user, 'client-id': clientId },
    { user, 'client-id': null },
    { user },
    { user: null, 'client-id': clientId },
    { user: null, 'client-id': null },
    { user: null },
    { 'client-id': clientId },
    { 'client-id': null }
  ]
}

/** Resolves one quota key; `values` maps clientQuotaEntityKey to the key's value on that entity. */
export function resolveClientQuota(
  values: ReadonlyMap<string, number>,
  user: string,
  clientId: string
): ResolvedQuota | null {
  for (const entity of candidates(user, clientId)) {
    const limit = values.get(clientQuotaEntityKey(entity))
    if (limit === undefined) continue
    const userTag = entity.user !== undefined ? user : ''
    const clientTag = entity['client-id'] !== undefined ? clientId : ''
    return { limit, sensorKey: `${userTag}\u0000${clientTag}` }
  }
  return null
}
