/**
 * IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT per key; keys not named keep their
 * override. APPEND and SUBTRACT apply to list configs only and start from the current override, or from
 * Kafka's default of the key when there is none. Topic changes go through the controller.
 */

import type { TopicConfigs } from '../../cluster/metadata-store.js'
import { topicConfigKey } from '../../cluster/topic-config-keys.js'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import {
  IncrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsRequestAlterableConfig,
  type IncrementalAlterConfigsRequestAlterConfigsResource,
  type IncrementalAlterConfigsResponse
} from '../../protocol/messages/incremental-alter-configs.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import { alterConfigResources, type ConfigAlterations } from '../admin/alter-config-resources.js'
import { AlterConfigOp } from '../admin/config-resource.js'
import type { KeyTypes } from '../admin/dynamic-config-alteration.js'
import { topicKeyDefault } from '../admin/topic-config-description.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import { authorizeAlterations } from './config-authorization.js'
import type { HandlerDeps } from './handler-deps.js'

const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'] as const

function listItems(value: string | null): string[] {
  return (value ?? '').split(',').filter((s) => s !== '')
}

/** The new value of one key (null: remove the override). */
/** Topic keys' types and defaults, for APPEND and SUBTRACT. */
const TOPIC_KEYS: KeyTypes = {
  isList: (name) => topicConfigKey(name)?.type === 'list',
  defaultOf: topicKeyDefault
}

function applyOp(
  op: IncrementalAlterConfigsRequestAlterableConfig,
  current: TopicConfigs,
  keys: KeyTypes
): string | null {
  switch (op.configOperation) {
    case AlterConfigOp.SET:
      return op.value
    case AlterConfigOp.DELETE:
      return null
    case AlterConfigOp.APPEND:
    case AlterConfigOp.SUBTRACT: {
      if (!keys.isList(op.name)) {
        throw new KafkaError(
          ErrorCode.INVALID_CONFIG,
          `Can't ${OP_NAMES[op.configOperation]} to key ${op.name} because its type is not LIST.`
        )
      }
      const items = listItems(current[op.name] ?? keys.defaultOf(op.name))
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

const INCREMENTAL: ConfigAlterations<IncrementalAlterConfigsRequestAlterConfigsResource> = {
  nullAllowed: (resource, i) => resource.configs[i]?.configOperation === AlterConfigOp.DELETE,
  topicChanges(resource, current, keys = TOPIC_KEYS) {
    const changes: Record<string, string | null> = {}
    for (const op of resource.configs) changes[op.name] = applyOp(op, current, keys)
    return changes
  }
}

export function createIncrementalAlterConfigsHandler(
  deps: HandlerDeps
): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  return {
    api: IncrementalAlterConfigsApi,
    minVersion: 0,
    maxVersion: 1,
    async handle(
      request: IncrementalAlterConfigsRequest,
      ctx: RequestContext
    ): Promise<IncrementalAlterConfigsResponse> {
      const { allowed, denied } = authorizeAlterations(ctx, AclOperation.ALTER_CONFIGS, request.resources)
      const altered = await alterConfigResources(
        deps,
        ctx.forwardingHeader,
        { ...request, resources: allowed },
        INCREMENTAL
      )
      return { ...altered, responses: [...altered.responses, ...denied] }
    }
  }
}
