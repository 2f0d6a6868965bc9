/**
 * FindCoordinator (key 10): which broker coordinates a group (key type 0) or a transactional id (key
 * type 1). One key up to v3, a batch from v4 (KIP-699). Where the coordinator is depends on who leads the
 * key's `__consumer_offsets` / `__transaction_state` partition, which the broker supplies as a lookup.
 */

import {
  type CoordinatorLookup,
  type CoordinatorNode,
  GROUP_KEY_TYPE,
  TRANSACTION_KEY_TYPE
} from '../../coordinator/coordinator-node.js'
import { ErrorCode, errorInfo } from '../../protocol/error-codes.js'
import {
  FindCoordinatorApi,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator
} from '../../protocol/messages/find-coordinator.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

const BATCHED_VERSION = 4

/**
 * The coordinator's host and port on the client's listener; undefined when that broker lacks the listener,
 * which Kafka answers with COORDINATOR_NOT_AVAILABLE. Without it the lookup's own address is used.
 */
export type CoordinatorEndPoint = (
  nodeId: number,
  listenerName: string
) => { readonly host: string; readonly port: number } | undefined

export function createFindCoordinatorHandler(
  lookup: CoordinatorLookup,
  endPointOn?: CoordinatorEndPoint
): ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
  const find = (
    keyType: number,
    key: string,
    listenerName: string,
    ctx: RequestContext
  ): FindCoordinatorResponseCoordinator => {
    let found: CoordinatorNode | number
    if (keyType !== GROUP_KEY_TYPE && keyType !== TRANSACTION_KEY_TYPE) found = ErrorCode.INVALID_REQUEST
    else if (keyType === TRANSACTION_KEY_TYPE && key === '') found = ErrorCode.INVALID_REQUEST
    // Kafka: DESCRIBE on the group or the transactional id the coordinator is asked for.
    else if (keyType === GROUP_KEY_TYPE && !ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, key))
      found = ErrorCode.GROUP_AUTHORIZATION_FAILED
    else if (
      keyType === TRANSACTION_KEY_TYPE &&
      !ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)
    )
      found = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    else found = lookup(keyType, key)
    if (typeof found !== 'number' && endPointOn) {
      const e = endPointOn(found.nodeId, listenerName)
      found = e ? { nodeId: found.nodeId, host: e.host, port: e.port } : ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
    if (typeof found === 'number') {
      return { key, nodeId: -1, host: '', port: -1, errorCode: found, errorMessage: errorInfo(found).message }
    }
    return { key, ...found, errorCode: ErrorCode.NONE, errorMessage: null }
  }
  return {
    api: FindCoordinatorApi,
    minVersion: 0,
    maxVersion: 6,
    handle(request, ctx) {
      const keyType = request.keyType ?? GROUP_KEY_TYPE
      if (ctx.apiVersion >= BATCHED_VERSION) {
        return {
          throttleTimeMs: 0,
          coordinators: (request.coordinatorKeys ?? []).map((k) =>
            find(keyType, k, ctx.connection.listenerName, ctx)
          )
        }
      }
      const c = find(keyType, request.key ?? '', ctx.connection.listenerName, ctx)
      return {
        throttleTimeMs: 0,
        errorCode: c.errorCode,
        errorMessage: c.errorMessage,
        nodeId: c.nodeId,
        host: c.host,
        port: c.port
      }
    }
  }
}
