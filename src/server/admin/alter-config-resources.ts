/**
 * The request flow AlterConfigs and IncrementalAlterConfigs share (Kafka's ControllerApis and
 * ConfigAdminManager); each API only says how its configs turn into topic overrides. Topic changes are
 * controller writes, so a broker that is not the controller forwards the topic resources (or answers
 * NOT_CONTROLLER for them when it cannot). Otherwise each resource named more than once fails with
 * INVALID_REQUEST and every other one is checked and altered on its own, its error (if any) in its own
 * result: duplicate keys and null values are refused, a TOPIC resource's overrides go to the controller,
 * BROKER, GROUP and CLIENT_METRICS configs are this broker's (dynamic-config-alteration.ts), other types are
 * unknown. A request mixing both is split as Kafka splits it: only its topic resources are forwarded.
 */

import type { Controller } from '../../cluster/controller/controller.js'
import type { ControllerChannel, ForwardedRequest } from '../../cluster/controller-channel.js'
import type { MetadataCache } from '../../cluster/metadata-cache.js'
import type { TopicConfigs } from '../../cluster/metadata-store.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  checkConfigKeys,
  DUPLICATE_RESOURCE_MESSAGE,
  duplicateResources,
  resourceKey
} from './alter-config-checks.js'
import { ResourceType } from './config-resource.js'
import {
  alterDynamicConfigResource,
  type DynamicConfigServices,
  isDynamicConfigResource,
  type KeyTypes,
  keyTypesOf
} from './dynamic-config-alteration.js'

export interface ConfigResourceResult {
  resourceType: number
  resourceName: string
  errorCode: number
  errorMessage: string | null
}

/** The shape both responses share; each API's generated response type accepts it. */
export interface AlterConfigResourcesResponse {
  throttleTimeMs: number
  responses: ConfigResourceResult[]
}

interface ConfigResource {
  readonly resourceType: number
  readonly resourceName: string
  readonly configs: readonly { readonly name: string; readonly value: string | null }[]
}

interface AlterConfigResourcesRequest<R> {
  readonly resources: readonly R[]
  readonly validateOnly: boolean
}

/** What the flow needs from the broker (the handlers' deps fit), read when a request is handled. */
export interface AlterConfigResourcesContext {
  readonly controllerChannel: ControllerChannel
  readonly controller: Pick<Controller, 'alterTopicConfigs'>
  readonly metadataCache: Pick<MetadataCache, 'topicByName' | 'topicConfigs'>
  readonly config: { readonly nodeId: number }
  /** BROKER, GROUP and CLIENT_METRICS configs; without them such resources are refused. */
  readonly dynamicConfigs?: DynamicConfigServices
}

/** What differs between the two APIs. */
export interface ConfigAlterations<R extends ConfigResource> {
  /** Whether the `index`-th config of `resource` may have a null value (a delete). */
  nullAllowed(resource: R, index: number): boolean
  /**
   * The changes `resource` asks for (null: back to the default), given its current configs; `keys` describes
   * the keys of a non-topic resource (list types and defaults for APPEND/SUBTRACT).
   */
  topicChanges(resource: R, current: TopicConfigs, keys?: KeyTypes): Record<string, string | null>
}

/**
 * Alters each resource of `request` (see the file comment), or forwards the whole request; `header` is the
 * request's, re-sent when it is forwarded.
 */
export async function alterConfigResources<R extends ConfigResource>(
  context: AlterConfigResourcesContext,
  header: ForwardedRequest,
  request: AlterConfigResourcesRequest<R>,
  alterations: ConfigAlterations<R>
): Promise<AlterConfigResourcesResponse> {
  // As Kafka splits it: topic resources are the controller's, the others are this broker's to handle.
  const isTopic = (r: R): boolean => r.resourceType === ResourceType.TOPIC
  const topics = request.resources.filter(isTopic)
  let remote: AlterConfigResourcesResponse | null = null
  if (topics.length > 0) {
    remote = await context.controllerChannel.forwardUnlessController<AlterConfigResourcesResponse>(
      header,
      topics.length === request.resources.length ? request : { ...request, resources: topics },
      (errorMessage) => ({
        throttleTimeMs: 0,
        responses: topics.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          errorCode: ErrorCode.NOT_CONTROLLER,
          errorMessage
        }))
      })
    )
  }
  if (remote && topics.length === request.resources.length) return remote
  const duplicates = duplicateResources(request.resources)
  const responses: ConfigResourceResult[] = []
  const remoteResults = [...(remote?.responses ?? [])]
  for (const resource of request.resources) {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
    if (remote && isTopic(resource)) {
      // The controller answered the topic resources in their order.
      const answer = remoteResults.shift()
      responses.push(answer ?? { ...base, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null })
      continue
    }
    if (duplicates.has(resourceKey(resource))) {
      responses.push({
        ...base,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: DUPLICATE_RESOURCE_MESSAGE
      })
      continue
    }
    try {
      // One at a time: each change goes through the controller's queue in request order.
      await alterResource(context, resource, request.validateOnly, alterations)
      responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null })
    } catch (err) {
      responses.push({
        ...base,
        errorCode: errorCodeOf(err),
        errorMessage: err instanceof Error ? err.message : String(err)
      })
    }
  }
  return { throttleTimeMs: 0, responses }
}

async function alterResource<R extends ConfigResource>(
  context: AlterConfigResourcesContext,
  resource: R,
  validateOnly: boolean,
  alterations: ConfigAlterations<R>
): Promise<void> {
  checkConfigKeys(resource.configs, (i) => alterations.nullAllowed(resource, i))
  switch (resource.resourceType) {
    case ResourceType.TOPIC: {
      const name = resource.resourceName
      const topic = context.metadataCache.topicByName(name)
      const current = topic ? context.metadataCache.topicConfigs(topic.topicId) : {}
      const changes = alterations.topicChanges(resource, current)
      await context.controller.alterTopicConfigs(name, changes, { validateOnly })
      return
    }
    default:
      if (isDynamicConfigResource(resource.resourceType)) {
        const keys = keyTypesOf(resource.resourceType)
        await alterDynamicConfigResource(
          context.dynamicConfigs,
          context.config.nodeId,
          resource.resourceType,
          resource.resourceName,
          (current) => alterations.topicChanges(resource, current, keys),
          validateOnly
        )
        return
      }
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resource.resourceType}`)
  }
}
