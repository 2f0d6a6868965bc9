/**
 * Kafka 4's GROUP and CLIENT_METRICS config resources: their keys (Kafka's GroupConfig and
 * ClientMetricsConfigs), the check of a resource's new set of configs (an unknown key or a bad value fails
 * with INVALID_CONFIG), and their description. A group's unset keys show the broker's group.* setting.
 * Samsa stores and describes them; its coordinators do not read them yet.
 */

import type { ConfigKey } from '../../config/config-def.js'
import { parseConfigValue } from '../../config/config-def.js'
import type { ConfigError } from '../../config/config-error.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { ConfigSource, configTypeId, ResourceType } from './config-resource.js'
import type { ConfigDescription } from './topic-config-description.js'

/** DescribeConfigs' sources of these resources (Kafka's ConfigSource ids). */
const CLIENT_METRICS_CONFIG = 7
const GROUP_CONFIG = 8

/** Each group key and the broker setting its default comes from. */
const GROUP_KEYS: readonly (ConfigKey & { readonly brokerKey: string })[] = [
  {
    name: 'consumer.session.timeout.ms',
    type: 'int',
    default: '45000',
    min: 1,
    brokerKey: 'group.consumer.session.timeout.ms'
  },
  {
    name: 'consumer.heartbeat.interval.ms',
    type: 'int',
    default: '5000',
    min: 1,
    brokerKey: 'group.consumer.heartbeat.interval.ms'
  },
  {
    name: 'share.session.timeout.ms',
    type: 'int',
    default: '45000',
    min: 1,
    brokerKey: 'group.share.session.timeout.ms'
  },
  {
    name: 'share.heartbeat.interval.ms',
    type: 'int',
    default: '5000',
    min: 1,
    brokerKey: 'group.share.heartbeat.interval.ms'
  },
  {
    name: 'share.record.lock.duration.ms',
    type: 'int',
    default: '30000',
    min: 1,
    brokerKey: 'group.share.record.lock.duration.ms'
  },
  {
    name: 'share.auto.offset.reset',
    type: 'string',
    default: 'latest',
    validValues: ['latest', 'earliest'],
    brokerKey: ''
  }
]

const CLIENT_METRICS_KEYS: readonly ConfigKey[] = [
  { name: 'metrics', type: 'list', default: '' },
  { name: 'interval.ms', type: 'int', default: '300000', min: 100, max: 3_600_000 },
  { name: 'match', type: 'list', default: '' }
]

/** Kafka's client-metrics match selectors. */
const MATCH_SELECTORS = [
  'client_id',
  'client_instance_id',
  'client_software_name',
  'client_software_version',
  'client_source_address',
  'client_source_port'
]

function keysOf(resourceType: number): readonly ConfigKey[] {
  return resourceType === ResourceType.GROUP ? GROUP_KEYS : CLIENT_METRICS_KEYS
}

export function isListKey(resourceType: number, name: string): boolean {
  return keysOf(resourceType).find((k) => k.name === name)?.type === 'list'
}

export function keyDefault(resourceType: number, name: string): string | null {
  return keysOf(resourceType).find((k) => k.name === name)?.default ?? null
}

/** Checks a GROUP or CLIENT_METRICS resource's new configs; INVALID_CONFIG on an unknown key or bad value. */
export function validateGroupOrClientMetricsConfigs(
  resourceType: number,
  resourceName: string,
  configs: Readonly<Record<string, string>>
): void {
  if (resourceName === '') {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Resource name must not be empty')
  }
  const keys = keysOf(resourceType)
  const what = resourceType === ResourceType.GROUP ? 'group' : 'client metrics'
  for (const [name, value] of Object.entries(configs)) {
    const key = keys.find((k) => k.name === name)
    if (!key) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown ${what} config name: ${name}`)
    try {
      parseConfigValue(key, value)
    } catch (err) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, (err as ConfigError).message)
    }
    if (name === 'match') {
      for (const item of value.split(',').filter((s) => s.trim() !== '')) {
        const selector = item.split('=')[0]?.trim() ?? ''
        if (!item.includes('=') || !MATCH_SELECTORS.includes(selector)) {
          throw new KafkaError(ErrorCode.INVALID_CONFIG, `Illegal client matching pattern: ${item}`)
        }
      }
    }
  }
}

export function describeGroupOrClientMetricsConfigs(
  resourceType: number,
  configs: Readonly<Record<string, string>>,
  broker: KafkaConfig,
  names?: ReadonlySet<string>
): ConfigDescription[] {
  const setSource = resourceType === ResourceType.GROUP ? GROUP_CONFIG : CLIENT_METRICS_CONFIG
  const out: ConfigDescription[] = []
  for (const key of keysOf(resourceType)) {
    if (names && !names.has(key.name)) continue
    const own = configs[key.name]
    const brokerKey = 'brokerKey' in key ? (key.brokerKey as string) : ''
    const inherited =
      brokerKey !== '' && broker.originals.has(brokerKey) ? broker.originals.get(brokerKey)! : null
    const value = own ?? inherited ?? key.default
    const source = own !== undefined ? setSource : ConfigSource.DEFAULT_CONFIG
    out.push({
      name: key.name,
      value,
      source,
      readOnly: false,
      isSensitive: false,
      configType: configTypeId(key.type),
      synonyms: [{ name: key.name, value, source }]
    })
  }
  return out
}
