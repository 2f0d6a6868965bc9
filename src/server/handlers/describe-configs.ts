/** DescribeConfigs (key 32): the effective configs of topics and of this broker, with their sources. */

import { topicNameError } from '../../cluster/topic-name.js'
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/error-codes.js'
import {
  DescribeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type DescribeConfigsResponseDescribeConfigsResult
} from '../../protocol/messages/describe-configs.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import { describeBrokerConfigs, describeDefaultBrokerConfigs } from '../admin/broker-config-description.js'
import { type BrokerConfigView, staticView } from '../admin/broker-config-view.js'
import { ConfigSource, checkBrokerResourceName, ResourceType } from '../admin/config-resource.js'
import { describeGroupOrClientMetricsConfigs } from '../admin/group-config-resources.js'
import {
  type ConfigDescription,
  describeTopicConfigs,
  TOPIC_CONFIG_NAMES
} from '../admin/topic-config-description.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import { configResourceDenial } from './config-authorization.js'
import type { HandlerDeps } from './handler-deps.js'

type Result = DescribeConfigsResponseDescribeConfigsResult

export function createDescribeConfigsHandler(
  deps: HandlerDeps
): ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
  const view = (): BrokerConfigView => deps.dynamicConfigs?.dynamicConfig.view() ?? staticView(deps.config)

  async function describe(
    resource: DescribeConfigsRequestDescribeConfigsResource
  ): Promise<ConfigDescription[]> {
    const keys = resource.configurationKeys
    const wanted = keys === null || keys.length === 0 ? null : new Set(keys)
    switch (resource.resourceType) {
      case ResourceType.TOPIC: {
        const name = resource.resourceName
        const invalid = topicNameError(name)
        if (invalid) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid)
        const topic = deps.metadataCache.topicByName(name)
        if (!topic) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`)
        }
        const names = wanted ? TOPIC_CONFIG_NAMES.filter((n) => wanted.has(n)) : TOPIC_CONFIG_NAMES
        return describeTopicConfigs(view(), deps.metadataCache.topicConfigs(topic.topicId), names)
      }
      case ResourceType.BROKER:
        checkBrokerResourceName(resource.resourceName, deps.config.nodeId)
        // The empty name asks for the cluster-wide dynamic defaults.
        if (resource.resourceName === '') return describeDefaultBrokerConfigs(view(), wanted ?? undefined)
        return describeBrokerConfigs(view(), wanted ?? undefined)
      case ResourceType.GROUP:
      case ResourceType.CLIENT_METRICS: {
        const image = await deps.dynamicConfigs?.store.dynamicConfigs()
        const stored = image?.resources.find(
          (r) => r.resourceType === resource.resourceType && r.resourceName === resource.resourceName
        )
        return describeGroupOrClientMetricsConfigs(
          resource.resourceType,
          stored?.configs ?? {},
          view().effective,
          wanted ?? undefined
        )
      }
      default:
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          `Unsupported resource type: ${resource.resourceType} for resource ${resource.resourceName}`
        )
    }
  }

  function toEntry(
    d: ConfigDescription,
    version: number,
    includeSynonyms: boolean
  ): DescribeConfigsResponseDescribeConfigsResourceResult {
    return {
      name: d.name,
      value: d.value,
      readOnly: d.readOnly,
      // v0 has no source, only "is this the default".
      isDefault: d.source === ConfigSource.DEFAULT_CONFIG,
      configSource: d.source,
      isSensitive: d.isSensitive,
      synonyms: includeSynonyms && version >= 1 ? d.synonyms.map((s) => ({ ...s })) : [],
      configType: d.configType,
      documentation: null
    }
  }

  async function describeOne(
    resource: DescribeConfigsRequestDescribeConfigsResource,
    ctx: RequestContext,
    includeSynonyms: boolean
  ): Promise<Result> {
    try {
      const denied = configResourceDenial(
        ctx,
        AclOperation.DESCRIBE_CONFIGS,
        resource.resourceType,
        resource.resourceName
      )
      if (denied !== null) throw new KafkaError(denied)
      const configs = (await describe(resource)).map((d) => toEntry(d, ctx.apiVersion, includeSynonyms))
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        configs
      }
    } catch (err) {
      return {
        errorCode: errorCodeOf(err),
        errorMessage: err instanceof Error ? err.message : String(err),
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        configs: []
      }
    }
  }

  return {
    api: DescribeConfigsApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(request: DescribeConfigsRequest, ctx: RequestContext): Promise<DescribeConfigsResponse> {
      const includeSynonyms = request.includeSynonyms ?? false
      const results: Result[] = []
      for (const resource of request.resources) {
        results.push(await describeOne(resource, ctx, includeSynonyms))
      }
      return { throttleTimeMs: 0, results }
    }
  }
}
