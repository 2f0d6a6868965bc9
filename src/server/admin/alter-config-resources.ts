/**
 * The request flow AlterConfigs and IncrementalAlterConfigs share (Kafka's ControllerApis and
 * ConfigAdminManager); each API only says how its configs turn into topic overrides. Topic changes are
 * controller writes, so a broker that is not the controller forwards the whole request (or answers
 * NOT_CONTROLLER for every resource when it cannot). Otherwise each resource named more than once fails with
 * INVALID_REQUEST and every other one is checked and altered on its own, its error (if any) in its own
 * result: duplicate keys and null values are refused, a TOPIC resource's overrides go to the controller,
 * a BROKER resource may change nothing (Samsa has no dynamic broker configs), other types are unknown.
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
  rejectBrokerConfigChange,
  resourceKey
} from './alter-config-checks.js'
import { ResourceType } from './config-resource.js'

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
}

/** What differs between the two APIs. */
export interface ConfigAlterations<R extends ConfigResource> {
  /** Whether the `index`-th config of `resource` may have a null value (a delete). */
  nullAllowed(resource: R, index: number): boolean
  /** The topic overrides `resource` asks for (null: back to the default), given the current ones. */
  topicChanges(resource: R, current: TopicConfigs): Record<string, string | null>
  /** The API's own checks of a BROKER resource, before it is refused for naming any key. */
  checkBroker?(resource: R): void
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
  const { controllerChannel } = context
  const hasTopics = request.resources.some((r) => r.resourceType === ResourceType.TOPIC)
  if (hasTopics) {
    const remote = await controllerChannel.forwardUnlessController<AlterConfigResourcesResponse>(
      header,
      request,
      (errorMessage) => ({
        throttleTimeMs: 0,
        responses: request.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          errorCode: ErrorCode.NOT_CONTROLLER,
          errorMessage
        }))
      })
    )
    if (remote) return remote
  }
  const duplicates = duplicateResources(request.resources)
  const responses: ConfigResourceResult[] = []
  for (const resource of request.resources) {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
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
    case ResourceType.BROKER:
      alterations.checkBroker?.(resource)
      rejectBrokerConfigChange(
        resource.resourceName,
        context.config.nodeId,
        resource.configs.map((c) => c.name)
      )
      return
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resource.resourceType}`)
  }
}
