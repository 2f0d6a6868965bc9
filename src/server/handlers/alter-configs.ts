/**
 * AlterConfigs (key 33), the legacy form: the configs given replace the resource's whole override set, so
 * topic overrides not named in the request are removed. Topic changes go through the controller.
 */

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type {
  AlterConfigsRequest,
  AlterConfigsRequestAlterConfigsResource,
  AlterConfigsResponse
} from '../../protocol/messages/alter-configs.js'
import {
  checkConfigKeys,
  DUPLICATE_RESOURCE_MESSAGE,
  duplicateResources,
  rejectBrokerConfigChange,
  resourceKey
} from '../admin/alter-config-checks.js'
import { ResourceType } from '../admin/config-resource.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createAlterConfigsHandler(
  deps: HandlerDeps
): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  async function alter(
    resource: AlterConfigsRequestAlterConfigsResource,
    validateOnly: boolean
  ): Promise<void> {
    checkConfigKeys(resource.configs, () => false)
    switch (resource.resourceType) {
      case ResourceType.TOPIC: {
        const name = resource.resourceName
        const topic = deps.metadataCache.topicByName(name)
        const changes: Record<string, string | null> = {}
        // Replacing the whole set: what is overridden now but not named any more goes back to the default.
        if (topic)
          for (const key of Object.keys(deps.metadataCache.topicConfigs(topic.topicId))) changes[key] = null
        for (const c of resource.configs) changes[c.name] = c.value
        await deps.controller.alterTopicConfigs(name, changes, { validateOnly })
        return
      }
      case ResourceType.BROKER:
        rejectBrokerConfigChange(
          resource.resourceName,
          deps.config.nodeId,
          resource.configs.map((c) => c.name)
        )
        return
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resource.resourceType}`)
    }
  }

  return {
    apiKey: 33,
    minVersion: 0,
    maxVersion: 2,
    async handle(request: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponse> {
      const hasTopics = request.resources.some((r) => r.resourceType === ResourceType.TOPIC)
      if (hasTopics && !deps.controllerChannel.isActiveController()) {
        // Topic configs are controller writes: forwarded, or NOT_CONTROLLER when that is impossible.
        const forwarded = await deps.controllerChannel.forward<AlterConfigsResponse>(ctx.header, request)
        if (forwarded) return forwarded
        const errorMessage = `Broker ${deps.config.nodeId} is not the controller; the controller is ${deps.controllerChannel.controllerId()}.`
        return {
          throttleTimeMs: 0,
          responses: request.resources.map((r) => ({
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage
          }))
        }
      }
      const duplicates = duplicateResources(request.resources)
      const responses = []
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
          await alter(resource, request.validateOnly)
          responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null })
        } catch (err) {
          responses.push({ ...base, errorCode: errorCodeOf(err), errorMessage: messageOf(err) })
        }
      }
      return { throttleTimeMs: 0, responses }
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
