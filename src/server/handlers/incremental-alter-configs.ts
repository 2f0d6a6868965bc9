/**
 * IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT per key; keys not named keep their
 * override. APPEND and SUBTRACT apply to list configs only and start from the current override, or from
 * Kafka's default of the key when there is none. Topic changes go through the controller.
 */

import type { TopicConfigs } from '../../cluster/metadata-store.js'
import { topicConfigKey } from '../../cluster/topic-config-keys.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsRequestAlterableConfig,
  IncrementalAlterConfigsRequestAlterConfigsResource,
  IncrementalAlterConfigsResponse
} from '../../protocol/messages/incremental-alter-configs.js'
import {
  checkConfigKeys,
  DUPLICATE_RESOURCE_MESSAGE,
  duplicateResources,
  rejectBrokerConfigChange,
  resourceKey
} from '../admin/alter-config-checks.js'
import { AlterConfigOp, ResourceType } from '../admin/config-resource.js'
import { topicKeyDefault } from '../admin/topic-config-description.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'] as const

function listItems(value: string | null): string[] {
  return (value ?? '').split(',').filter((s) => s !== '')
}

/** The new value of one key (null: remove the override). */
function applyOp(op: IncrementalAlterConfigsRequestAlterableConfig, current: TopicConfigs): string | null {
  switch (op.configOperation) {
    case AlterConfigOp.SET:
      return op.value
    case AlterConfigOp.DELETE:
      return null
    case AlterConfigOp.APPEND:
    case AlterConfigOp.SUBTRACT: {
      if (topicConfigKey(op.name)?.type !== 'list') {
        throw new KafkaError(
          ErrorCode.INVALID_CONFIG,
          `Can't ${OP_NAMES[op.configOperation]} to key ${op.name} because its type is not LIST.`
        )
      }
      const items = listItems(current[op.name] ?? topicKeyDefault(op.name))
      const given = (op.value ?? '').split(',')
      const next =
        op.configOperation === AlterConfigOp.APPEND
          ? [...items, ...given.filter((v, i) => !items.includes(v) && given.indexOf(v) === i)]
          : items.filter((v) => !given.includes(v))
      return next.join(',')
    }
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${op.configOperation}`)
  }
}

export function createIncrementalAlterConfigsHandler(
  deps: HandlerDeps
): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  async function alter(
    resource: IncrementalAlterConfigsRequestAlterConfigsResource,
    validateOnly: boolean
  ): Promise<void> {
    const configs = resource.configs
    checkConfigKeys(configs, (i) => configs[i]?.configOperation === AlterConfigOp.DELETE)
    switch (resource.resourceType) {
      case ResourceType.TOPIC: {
        const name = resource.resourceName
        const topic = deps.metadataCache.topicByName(name)
        const current = topic ? deps.metadataCache.topicConfigs(topic.topicId) : {}
        const changes: Record<string, string | null> = {}
        for (const op of configs) changes[op.name] = applyOp(op, current)
        await deps.controller.alterTopicConfigs(name, changes, { validateOnly })
        return
      }
      case ResourceType.BROKER:
        for (const op of configs) {
          if (OP_NAMES[op.configOperation] === undefined) {
            throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown operations type ${op.configOperation}`)
          }
        }
        rejectBrokerConfigChange(
          resource.resourceName,
          deps.config.nodeId,
          configs.map((c) => c.name)
        )
        return
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown resource type ${resource.resourceType}`)
    }
  }

  return {
    apiKey: 44,
    minVersion: 0,
    maxVersion: 1,
    async handle(
      request: IncrementalAlterConfigsRequest,
      ctx: RequestContext
    ): Promise<IncrementalAlterConfigsResponse> {
      const hasTopics = request.resources.some((r) => r.resourceType === ResourceType.TOPIC)
      if (hasTopics && !deps.controllerChannel.isActiveController()) {
        // Topic configs are controller writes: forwarded, or NOT_CONTROLLER when that is impossible.
        const forwarded = await deps.controllerChannel.forward<IncrementalAlterConfigsResponse>(
          ctx.header,
          request
        )
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
          responses.push({
            ...base,
            errorCode: errorCodeOf(err),
            errorMessage: err instanceof Error ? err.message : String(err)
          })
        }
      }
      return { throttleTimeMs: 0, responses }
    }
  }
}
