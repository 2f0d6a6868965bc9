/**
 * DescribeClientQuotas (key 48, KIP-546): the quotas of the entities that match every filter component, from
 * this broker's copy of the quotas. A component matches its entity type exactly (a name), the `<default>`
 * entity (match type DEFAULT), or any named entity (SPECIFIED); with `strict`, an entity must have no other
 * entity types than those the components name. Invalid filters are INVALID_REQUEST, as in Kafka.
 */

import type { ClientQuotaEntityType, ClientQuotasImage } from '../../cluster/metadata-store.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  DescribeClientQuotasApi,
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponse,
  type DescribeClientQuotasResponseEntryData
} from '../../protocol/messages/describe-client-quotas.js'
import type { ApiHandler } from '../api-registry.js'
import { isEntityType } from '../quota/client-quota-validation.js'

export interface DescribeClientQuotasDeps {
  readonly quotas: () => ClientQuotasImage
}

const MATCH_EXACT = 0
const MATCH_DEFAULT = 1
const MATCH_SPECIFIED = 2

interface Filter {
  readonly type: ClientQuotaEntityType
  readonly matches: (name: string | null | undefined) => boolean
}

function filtersOf(request: DescribeClientQuotasRequest): Filter[] {
  const invalid = (message: string) => new KafkaError(ErrorCode.INVALID_REQUEST, message)
  const filters: Filter[] = []
  for (const c of request.components) {
    if (!isEntityType(c.entityType)) throw invalid(`Custom entity type '${c.entityType}' not supported`)
    if (filters.some((f) => f.type === c.entityType)) {
      throw invalid(`Duplicate ${c.entityType} filter component entity type`)
    }
    const match = c.match
    switch (c.matchType) {
      case MATCH_EXACT:
        if (match === null) throw invalid(`Exact match on ${c.entityType} needs a name`)
        filters.push({ type: c.entityType, matches: (name) => name === match })
        break
      case MATCH_DEFAULT:
        filters.push({ type: c.entityType, matches: (name) => name === null })
        break
      case MATCH_SPECIFIED:
        filters.push({ type: c.entityType, matches: (name) => typeof name === 'string' })
        break
      default:
        throw invalid(`Unknown match type ${c.matchType}`)
    }
  }
  const types = new Set(filters.map((f) => f.type))
  if (types.has('ip') && (types.has('user') || types.has('client-id'))) {
    throw invalid(
      'Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.'
    )
  }
  return filters
}

export function createDescribeClientQuotasHandler(
  deps: DescribeClientQuotasDeps
): ApiHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> {
  return {
    api: DescribeClientQuotasApi,
    minVersion: 0,
    maxVersion: 1,
    handle(request): DescribeClientQuotasResponse {
      let filters: Filter[]
      try {
        filters = filtersOf(request)
      } catch (err) {
        return {
          throttleTimeMs: 0,
          errorCode: errorCodeOf(err),
          errorMessage: err instanceof Error ? err.message : String(err),
          entries: null
        }
      }
      const entries: DescribeClientQuotasResponseEntryData[] = []
      for (const { entity, values } of deps.quotas().quotas) {
        if (!filters.every((f) => f.type in entity && f.matches(entity[f.type]))) continue
        const types = Object.keys(entity) as ClientQuotaEntityType[]
        if (request.strict && types.length !== filters.length) continue
        entries.push({
          entity: types.map((t) => ({ entityType: t, entityName: entity[t] ?? null })),
          values: Object.entries(values).map(([key, value]) => ({ key, value }))
        })
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries }
    }
  }
}
