/**
 * Validation of client quota entities and values, as Kafka's controller does for AlterClientQuotas and
 * DescribeClientQuotas (KIP-546): entity types user, client-id and ip, each at most once, ip only alone; the
 * quota keys of each kind of entity with their types (rates in bytes and connection rates are whole numbers).
 */

import { isIP } from 'node:net'
import type { ClientQuotaEntity, ClientQuotaEntityType } from '../../cluster/metadata-store.js'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'

export const CLIENT_QUOTA_KEYS: ReadonlyMap<string, 'long' | 'double'> = new Map([
  ['producer_byte_rate', 'long'],
  ['consumer_byte_rate', 'long'],
  ['request_percentage', 'double'],
  ['controller_mutation_rate', 'double']
])
export const IP_QUOTA_KEYS: ReadonlyMap<string, 'long' | 'double'> = new Map([
  ['connection_creation_rate', 'long']
])

const ENTITY_TYPES: readonly ClientQuotaEntityType[] = ['user', 'client-id', 'ip']

export function isEntityType(type: string): type is ClientQuotaEntityType {
  return (ENTITY_TYPES as readonly string[]).includes(type)
}

const invalid = (message: string): KafkaError => new KafkaError(ErrorCode.INVALID_REQUEST, message)

/** The entity of a request's entity parts; throws INVALID_REQUEST for one Kafka refuses. */
export function toEntity(
  parts: readonly { readonly entityType: string; readonly entityName: string | null }[]
): ClientQuotaEntity {
  if (parts.length === 0) throw invalid('Invalid empty client quota entity')
  const entity: Partial<Record<ClientQuotaEntityType, string | null>> = {}
  for (const { entityType, entityName } of parts) {
    if (!isEntityType(entityType)) throw invalid(`Unhandled client quota entity type: ${entityType}`)
    if (entityType in entity) throw invalid(`Duplicate ${entityType} entity type in the client quota entity`)
    entity[entityType] = entityName
  }
  if (entity.ip !== undefined) {
    if (parts.length > 1)
      throw invalid(
        'Invalid quota entity combination, IP entity should not be combined with user/client-id entity.'
      )
    if (entity.ip !== null && isIP(entity.ip) === 0) {
      throw invalid(`${entity.ip} is not a valid IP or resolvable host.`)
    }
  }
  return entity
}

/** Checks one quota op of an entity; throws INVALID_REQUEST naming the key. */
export function validateQuotaOp(
  entity: ClientQuotaEntity,
  key: string,
  value: number,
  remove: boolean
): void {
  const keys = entity.ip !== undefined ? IP_QUOTA_KEYS : CLIENT_QUOTA_KEYS
  const type = keys.get(key)
  if (type === undefined) throw invalid(`Invalid configuration key ${key}`)
  if (remove) return
  if (!Number.isFinite(value)) throw invalid(`Configuration ${key} must be a finite number`)
  if (type === 'long' && !Number.isInteger(value)) throw invalid(`Configuration ${key} must be a Long value`)
  if (value <= 0) throw invalid(`Configuration ${key} must be positive, not ${value}`)
}
