/** What the group coordinator needs from a broker request context. Shared by the group handlers. */

import type { GroupRequestContext } from '../../coordinator/group/group-coordinator.js'
import type { RequestContext } from '../request-context.js'

export function groupRequestContext(ctx: RequestContext): GroupRequestContext {
  // Kafka reports client hosts as InetAddress.toString(), i.e. with a leading slash.
  return { apiVersion: ctx.apiVersion, clientId: ctx.clientId ?? '', clientHost: `/${ctx.connection.clientAddress}` }
}
