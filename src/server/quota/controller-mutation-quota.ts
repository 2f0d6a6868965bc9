/**
 * controller_mutation_rate (KIP-599): CreateTopics, CreatePartitions and DeleteTopics count the partitions
 * they create or delete against the client's quota, on the broker the client sent them to (a request that
 * broker forwards to the controller is not counted twice). Clients of the versions KIP-599 introduced
 * (CreateTopics v6, CreatePartitions v3, DeleteTopics v5) get THROTTLING_QUOTA_EXCEEDED for each topic asked
 * for once the quota is already exceeded, with the throttle time; older clients have every topic served and
 * are throttled instead. Either way the response carries the throttle and the connection is muted for it.
 * validate_only requests are not counted. The handlers stay untouched: this wraps them.
 */

import { FORWARDED_CLIENT_ID_PREFIX } from '../../cluster/controller-channel.js'
import { ZERO_UUID } from '../../protocol/codec-runtime.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  CreatePartitionsApi,
  type CreatePartitionsRequest,
  type CreatePartitionsRequestCreatePartitionsTopic,
  type CreatePartitionsResponse,
  type CreatePartitionsResponseCreatePartitionsTopicResult
} from '../../protocol/messages/create-partitions.js'
import {
  CreateTopicsApi,
  type CreateTopicsRequest,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult
} from '../../protocol/messages/create-topics.js'
import {
  DeleteTopicsApi,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult
} from '../../protocol/messages/delete-topics.js'
import { type ApiHandler, NO_RESPONSE } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { ClientQuotaManager } from './client-quota-manager.js'

/** What the wrapper needs to count partitions: the broker's metadata. */
export interface MutationTopicLookup {
  /** Partitions of a topic now, by name or by id; undefined for an unknown topic. */
  partitionCount(topic: { readonly name?: string | null; readonly topicId?: string }): number | undefined
  /** num.partitions, for a CreateTopics that leaves the count to the broker (-1). */
  readonly defaultNumPartitions: number
}

const QUOTA_EXCEEDED_MESSAGE = 'The throttling quota has been exceeded.'

interface Shape<Req, Res, Item, Result> {
  readonly strictFromVersion: number
  items(request: Req): readonly Item[]
  withItems(request: Req, items: Item[]): Req
  results(response: Res): Result[]
  withResults(response: Res, results: Result[], throttleTimeMs: number): Res
  empty(): Res
  itemKey(item: Item): string
  /** Every key a result may be found by (DeleteTopics answers with the name even when asked by id). */
  resultKeys(result: Result): readonly string[]
  succeeded(result: Result): boolean
  mutations(item: Item): number
  throttled(item: Item): Result
  validateOnly(request: Req): boolean
}

function wrap<Req, Res, Item, Result>(
  handler: ApiHandler<Req, Res>,
  quota: ClientQuotaManager,
  shape: Shape<Req, Res, Item, Result>
): ApiHandler<Req, Res> {
  return {
    api: handler.api,
    minVersion: handler.minVersion,
    maxVersion: handler.maxVersion,
    async handle(request: Req, ctx: RequestContext) {
      const clientId = ctx.clientId ?? ''
      if (!quota.enabled || shape.validateOnly(request) || clientId.startsWith(FORWARDED_CLIENT_ID_PREFIX)) {
        return handler.handle(request, ctx)
      }
      const user = ctx.principal.name
      const strict = ctx.apiVersion >= shape.strictFromVersion
      const accepted: Item[] = []
      const refused = new Map<string, Result>()
      const recorded = new Map<string, number>()
      for (const item of shape.items(request)) {
        if (strict && quota.throttleTimeIfExceeded(user, clientId) > 0) {
          refused.set(shape.itemKey(item), shape.throttled(item))
          continue
        }
        const mutations = shape.mutations(item)
        quota.record(user, clientId, mutations)
        recorded.set(shape.itemKey(item), mutations)
        accepted.push(item)
      }
      const inner =
        accepted.length > 0 ? await handler.handle(shape.withItems(request, accepted), ctx) : shape.empty()
      if (inner === NO_RESPONSE) return inner
      const served = new Map<string, Result>()
      for (const result of shape.results(inner)) {
        for (const key of shape.resultKeys(result)) served.set(key, result)
      }
      // A topic the controller refused created or deleted nothing: its mutations are given back.
      for (const [key, mutations] of recorded) {
        const result = served.get(key)
        if (result !== undefined && !shape.succeeded(result)) quota.record(user, clientId, -mutations)
      }
      const throttleMs = quota.throttleTimeIfExceeded(user, clientId)
      const results: Result[] = []
      for (const item of shape.items(request)) {
        const key = shape.itemKey(item)
        const result = refused.get(key) ?? served.get(key)
        if (result !== undefined) results.push(result)
      }
      if (throttleMs > 0) ctx.connection.throttle?.(throttleMs)
      return shape.withResults(inner, results, throttleMs)
    }
  }
}

export function withCreateTopicsMutationQuota(
  handler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse>,
  quota: ClientQuotaManager,
  topics: MutationTopicLookup
): ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  return wrap<
    CreateTopicsRequest,
    CreateTopicsResponse,
    CreateTopicsRequestCreatableTopic,
    CreateTopicsResponseCreatableTopicResult
  >(handler, quota, {
    strictFromVersion: 6,
    items: (r) => r.topics,
    withItems: (r, items) => ({ ...r, topics: items }),
    results: (r) => r.topics,
    withResults: (r, results, throttleTimeMs) => ({
      ...r,
      topics: results,
      throttleTimeMs: Math.max(r.throttleTimeMs ?? 0, throttleTimeMs)
    }),
    empty: () => ({ throttleTimeMs: 0, topics: [] }),
    itemKey: (t) => t.name,
    resultKeys: (r) => [r.name],
    succeeded: (r) => r.errorCode === ErrorCode.NONE,
    mutations: (t) =>
      t.assignments.length > 0
        ? t.assignments.length
        : t.numPartitions > 0
          ? t.numPartitions
          : topics.defaultNumPartitions,
    throttled: (t) => ({
      name: t.name,
      errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
      errorMessage: QUOTA_EXCEEDED_MESSAGE,
      numPartitions: -1,
      replicationFactor: -1
    }),
    validateOnly: (r) => r.validateOnly ?? false
  })
}

export function withCreatePartitionsMutationQuota(
  handler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse>,
  quota: ClientQuotaManager,
  topics: MutationTopicLookup
): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  return wrap<
    CreatePartitionsRequest,
    CreatePartitionsResponse,
    CreatePartitionsRequestCreatePartitionsTopic,
    CreatePartitionsResponseCreatePartitionsTopicResult
  >(handler, quota, {
    strictFromVersion: 3,
    items: (r) => r.topics,
    withItems: (r, items) => ({ ...r, topics: items }),
    results: (r) => r.results,
    withResults: (r, results, throttleTimeMs) => ({
      ...r,
      results,
      throttleTimeMs: Math.max(r.throttleTimeMs, throttleTimeMs)
    }),
    empty: () => ({ throttleTimeMs: 0, results: [] }),
    itemKey: (t) => t.name,
    resultKeys: (r) => [r.name],
    succeeded: (r) => r.errorCode === ErrorCode.NONE,
    mutations: (t) => Math.max(0, t.count - (topics.partitionCount({ name: t.name }) ?? t.count)),
    throttled: (t) => ({
      name: t.name,
      errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
      errorMessage: QUOTA_EXCEEDED_MESSAGE
    }),
    validateOnly: (r) => r.validateOnly
  })
}

/** DeleteTopics names topics by name (up to v5, `topicNames`) or by name or id (v6, `topics`). */
interface DeletedTopic {
  readonly name: string | null
  readonly topicId?: string
}

const NULL_TOPIC_ID = ZERO_UUID
const hasId = (topicId: string | undefined): topicId is string =>
  topicId !== undefined && topicId !== NULL_TOPIC_ID

export function withDeleteTopicsMutationQuota(
  handler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse>,
  quota: ClientQuotaManager,
  topics: MutationTopicLookup
): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  return wrap<
    DeleteTopicsRequest,
    DeleteTopicsResponse,
    DeletedTopic,
    DeleteTopicsResponseDeletableTopicResult
  >(handler, quota, {
    strictFromVersion: 5,
    items: (r) => r.topics ?? (r.topicNames ?? []).map((name) => ({ name })),
    withItems: (r, items) =>
      r.topics !== undefined
        ? { ...r, topics: items.map((t) => ({ name: t.name, topicId: t.topicId ?? NULL_TOPIC_ID })) }
        : { ...r, topicNames: items.map((t) => t.name ?? '') },
    results: (r) => r.responses,
    withResults: (r, results, throttleTimeMs) => ({
      ...r,
      responses: results,
      throttleTimeMs: Math.max(r.throttleTimeMs ?? 0, throttleTimeMs)
    }),
    empty: () => ({ throttleTimeMs: 0, responses: [] }),
    itemKey: (t) => (hasId(t.topicId) ? `id:${t.topicId}` : `name:${t.name ?? ''}`),
    resultKeys: (r) => [
      ...(r.name !== null ? [`name:${r.name}`] : []),
      ...(hasId(r.topicId) ? [`id:${r.topicId}`] : [])
    ],
    succeeded: (r) => r.errorCode === ErrorCode.NONE,
    mutations: (t) => topics.partitionCount(t) ?? 0,
    throttled: (t) => ({
      name: t.name,
      topicId: t.topicId ?? NULL_TOPIC_ID,
      errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
      errorMessage: QUOTA_EXCEEDED_MESSAGE
    }),
    validateOnly: () => false
  })
}

export const MUTATION_API_KEYS: ReadonlySet<number> = new Set([
  CreateTopicsApi.apiKey,
  CreatePartitionsApi.apiKey,
  DeleteTopicsApi.apiKey
])
