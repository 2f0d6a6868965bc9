/** Cross-key checks of the listener configuration, with Kafka's rules and error wording. */

import { ConfigError } from './config-error.js'
import type { KafkaConfig } from './kafka-config.js'

/**
 * The inter-broker listener: `inter.broker.listener.name`, else the listener named after
 * `security.inter.broker.protocol` (Kafka's rule; the two keys are exclusive). When neither key is set and no
 * listener is named PLAINTEXT, Samsa uses the first listener where Kafka would refuse to start, so that
 * configurations written before listeners had names keep working.
 */
export function interBrokerListenerName(config: KafkaConfig, props: ReadonlyMap<string, string>): string {
  const byName = config.getString('inter.broker.listener.name')
  const explicitProtocol = props.has('security.inter.broker.protocol')
  if (byName !== null && explicitProtocol) {
    throw ConfigError.invalidValue(
      'inter.broker.listener.name',
      byName,
      'only one of inter.broker.listener.name and security.inter.broker.protocol may be set'
    )
  }
  const name = (byName ?? config.getString('security.inter.broker.protocol') ?? 'PLAINTEXT').toUpperCase()
  if (config.advertisedListeners.some((e) => e.listenerName === name)) return name
  if (byName === null && !explicitProtocol) return config.advertisedListeners[0]!.listenerName
  const key = byName === null ? 'security.inter.broker.protocol' : 'inter.broker.listener.name'
  throw ConfigError.invalidValue(
    key,
    name,
    `must be a listener name defined in advertised.listeners (${config.advertisedListeners.map((e) => e.listenerName).join(', ')})`
  )
}
