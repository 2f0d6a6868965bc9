/**
 * The broker's dynamic configuration (KIP-226, Kafka's DynamicBrokerConfig): the static configuration
 * overlaid with the cluster-wide dynamic default and this broker's own dynamic values, both read from the
 * MetadataStore and followed as they change (so a default set through any broker reaches every broker, and a
 * restart reloads them). Parts of the broker that apply configs at run time register as reconfigurables:
 * they may refuse a change before it is stored (validate) and apply it once it is (reconfigure).
 */

import type {
  DynamicConfigRecordStore,
  DynamicConfigsImage,
  Unsubscribe
} from '../../cluster/metadata-store.js'
import type { Logger } from '../../common/logger.js'
import type { ConfigError } from '../../config/config-error.js'
import { validateDynamicBrokerConfigs } from '../../config/dynamic-broker-config-keys.js'
import { KafkaConfig } from '../../config/kafka-config.js'
import type { BrokerConfigView } from './broker-config-view.js'
import { ResourceType } from './config-resource.js'

export interface BrokerReconfigurable {
  /** Whether a change of `key` concerns it. */
  reconfigures(key: string): boolean
  /** Throws (a ConfigError) to refuse `next`; `keys` are the changed keys it reconfigures. */
  validate?(next: KafkaConfig, keys: readonly string[]): void
  /** Applies `next`; `keys` are the changed (or re-set) keys it reconfigures. */
  reconfigure(next: KafkaConfig, keys: readonly string[]): void
}

type Layer = ReadonlyMap<string, string>

function layerOf(image: DynamicConfigsImage, name: string): Layer {
  const resource = image.resources.find(
    (r) => r.resourceType === ResourceType.BROKER && r.resourceName === name
  )
  return new Map(Object.entries(resource?.configs ?? {}))
}

export class DynamicBrokerConfig {
  private clusterDefault: Layer = new Map()
  private perBroker: Layer = new Map()
  private effective: KafkaConfig
  private readonly reconfigurables: BrokerReconfigurable[] = []
  private unsubscribe: Unsubscribe | null = null
  /** The version of the last image applied; an older one arriving late is ignored. */
  private version = -1n

  constructor(
    readonly staticConfig: KafkaConfig,
    private readonly logger: Logger
  ) {
    this.effective = staticConfig
  }

  /** The configuration in force now. */
  get current(): KafkaConfig {
    return this.effective
  }

  view(): BrokerConfigView {
    return {
      staticConfig: this.staticConfig,
      effective: this.effective,
      perBroker: this.perBroker,
      clusterDefault: this.clusterDefault
    }
  }

  /** The dynamic values of a BROKER resource: '' for the cluster-wide default, else this broker's. */
  layer(resourceName: string): Layer {
    return resourceName === '' ? this.clusterDefault : this.perBroker
  }

  addReconfigurable(reconfigurable: BrokerReconfigurable): void {
    this.reconfigurables.push(reconfigurable)
  }

  /**
   * Applies the store's current dynamic configs (a failed read fails the broker's start, as other metadata
   * reads do), then follows its changes.
   */
  async start(store: DynamicConfigRecordStore): Promise<void> {
    const apply = (image: DynamicConfigsImage): void => {
      if (image.version < this.version) return
      this.version = image.version
      this.update(layerOf(image, ''), layerOf(image, String(this.staticConfig.nodeId)), [])
    }
    apply(await store.dynamicConfigs())
    this.unsubscribe = store.subscribeDynamicConfigs(apply)
  }

  close(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
  }

  /**
   * Checks that the BROKER resource `resourceName` may hold `layer` (its whole new set of dynamic values):
   * Kafka's key rules, each value's type, then every reconfigurable concerned by a key in `touched`. Throws
   * ConfigError. Returns the configuration it would give.
   */
  validate(resourceName: string, layer: Layer, touched: readonly string[]): KafkaConfig {
    const perBroker = resourceName !== ''
    validateDynamicBrokerConfigs(layer, perBroker)
    const next = this.build(perBroker ? this.clusterDefault : layer, perBroker ? layer : this.perBroker)
    for (const r of this.reconfigurables) {
      const keys = touched.filter((k) => r.reconfigures(k))
      if (keys.length > 0) r.validate?.(next, keys)
    }
    return next
  }

  /**
   * Applies a stored change of this broker's resource at once, without waiting for the store to echo it:
   * keys in `touched` are reapplied even when their value is unchanged (a keystore file replaced in place).
   */
  applyStored(resourceName: string, layer: Layer, touched: readonly string[]): void {
    if (resourceName === '') this.update(layer, this.perBroker, touched)
    else this.update(this.clusterDefault, layer, touched)
  }

  private build(clusterDefault: Layer, perBroker: Layer): KafkaConfig {
    return new KafkaConfig(new Map([...this.staticConfig.originals, ...clusterDefault, ...perBroker]))
  }

  private update(clusterDefault: Layer, perBroker: Layer, touched: readonly string[]): void {
    let next: KafkaConfig
    try {
      next = this.build(clusterDefault, perBroker)
    } catch (err) {
      // Stored values were valid when written; a static change since can make them clash. Keep what runs.
      this.logger.error({ reason: (err as ConfigError).message }, 'dynamic broker configs not applied')
      return
    }
    const before = this.effective.originals
    const changed = new Set(touched)
    for (const k of new Set([...before.keys(), ...next.originals.keys()])) {
      if (before.get(k) !== next.originals.get(k)) changed.add(k)
    }
    this.clusterDefault = clusterDefault
    this.perBroker = perBroker
    this.effective = next
    if (changed.size === 0) return
    for (const r of this.reconfigurables) {
      const keys = [...changed].filter((k) => r.reconfigures(k))
      if (keys.length === 0) continue
      try {
        r.reconfigure(next, keys)
      } catch (err) {
        this.logger.error({ err, keys }, 'dynamic broker config change not applied')
      }
    }
  }
}
