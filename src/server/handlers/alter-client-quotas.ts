/**
 * AlterClientQuotas (key 49, KIP-544/546): sets and removes quota values of user, client-id, user + client-id
 * and ip entities (a null name is the `<default>` entity). Each entry is validated on its own, with Kafka's
 * INVALID_REQUEST messages; the valid ones are written as one change to the metadata store, whose quota stream
 * every broker applies. validate_only answers without writing.
 */

import type { ClientQuotaAlteration, ClientQuotaRecordStore } from '../../cluster/metadata-store.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  AlterClientQuotasApi,
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponse,
  type AlterClientQuotasResponseEntryData
} from '../../protocol/messages/alter-client-quotas.js'
import type { ApiHandler } from '../api-registry.js'
import { toEntity, validateQuotaOp } from '../quota/client-quota-validation.js'

export interface AlterClientQuotasDeps {
  readonly store: () => ClientQuotaRecordStore
  /** Waits until this broker applies the write's version, so a DescribeClientQuotas after it sees it. */
  readonly applied?: (version: bigint) => Promise<void>
}

export function createAlterClientQuotasHandler(
  deps: AlterClientQuotasDeps
): ApiHandler<AlterClientQuotasRequest, AlterClientQuotasResponse> {
  return {
    api: AlterClientQuotasApi,
    minVersion: 0,
    maxVersion: 1,
    async handle(request): Promise<AlterClientQuotasResponse> {
      const results: AlterClientQuotasResponseEntryData[] = []
      const valid: { alteration: ClientQuotaAlteration; result: AlterClientQuotasResponseEntryData }[] = []
      for (const entry of request.entries) {
        const result: AlterClientQuotasResponseEntryData = {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          entity: entry.entity.map((e) => ({ entityType: e.entityType, entityName: e.entityName }))
        }
        results.push(result)
        try {
          const entity = toEntity(entry.entity)
          const ops: Record<string, number | null> = {}
          for (const op of entry.ops) {
            validateQuotaOp(entity, op.key, op.value, op.remove)
            if (op.key in ops) {
              throw new KafkaError(ErrorCode.INVALID_REQUEST, `Duplicate quota key ${op.key} in the request`)
            }
            ops[op.key] = op.remove ? null : op.value
          }
          valid.push({ alteration: { entity, ops }, result })
        } catch (err) {
          result.errorCode = errorCodeOf(err)
          result.errorMessage = err instanceof Error ? err.message : String(err)
        }
      }
      if (!request.validateOnly && valid.length > 0) {
        try {
          const version = await deps.store().alterClientQuotas(valid.map((v) => v.alteration))
          await deps.applied?.(version)
        } catch (err) {
          const errorCode = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR
          for (const { result } of valid) {
            result.errorCode = errorCode
            result.errorMessage = err instanceof Error ? err.message : String(err)
          }
        }
      }
      return { throttleTimeMs: 0, entries: results }
    }
  }
}
