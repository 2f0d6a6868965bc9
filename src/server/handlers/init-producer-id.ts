/**
 * InitProducerId (key 22): a producer id and epoch for an idempotent producer. Without a transactional id
 * every call gets a fresh producer id at epoch 0, as Kafka does; with one, the transaction coordinator
 * bumps the epoch and fences zombies (see `transactional`).
 */

import type { ProducerIdManager } from '../../coordinator/producer-id-manager.js'
import { ErrorCode, errorCodeOf } from '../../protocol/error-codes.js'
import {
  InitProducerIdApi,
  type InitProducerIdRequest,
  type InitProducerIdResponse
} from '../../protocol/messages/init-producer-id.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

export type TransactionalInitProducerId = (
  request: InitProducerIdRequest,
  ctx: RequestContext
) => Promise<InitProducerIdResponse>

export function createInitProducerIdHandler(
  producerIds: () => ProducerIdManager,
  transactional?: TransactionalInitProducerId
): ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  return {
    api: InitProducerIdApi,
    minVersion: 0,
    maxVersion: 5,
    async handle(request, ctx) {
      const denied = (errorCode: number): InitProducerIdResponse => ({
        throttleTimeMs: 0,
        errorCode,
        producerId: -1n,
        producerEpoch: -1
      })
      if (request.transactionalId !== null && request.transactionalId !== undefined) {
        if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId))
          return denied(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        if (transactional) return transactional(request, ctx)
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
          producerId: -1n,
          producerEpoch: -1
        }
      }
      // KIP-679: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic.
      if (
        !ctx.authorizeCluster(AclOperation.IDEMPOTENT_WRITE, false) &&
        !ctx.authorizeByResourceType(AclOperation.WRITE, ResourceType.TOPIC)
      )
        return denied(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
      try {
        const producerId = await producerIds().generateProducerId()
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
      } catch (err) {
        return { throttleTimeMs: 0, errorCode: errorCodeOf(err), producerId: -1n, producerEpoch: -1 }
      }
    }
  }
}
