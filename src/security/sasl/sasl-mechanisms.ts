/**
 * The SASL mechanisms a listener offers: `listener.name.<name>.sasl.enabled.mechanisms` or the broker-wide
 * `sasl.enabled.mechanisms`, each built by its module from the listener's JAAS configuration
 * (`listener.name.<name>.<mechanism>.sasl.jaas.config`, else `sasl.jaas.config`).
 */

import { ConfigError } from '../../config/config-error.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { type JaasLoginModule, parseJaasConfig } from '../jaas-config.js'
import { OAUTHBEARER_LOGIN_MODULE, oauthBearerListenerFactory } from './oauthbearer/oauthbearer-config.js'
import { OAUTHBEARER_MECHANISM } from './oauthbearer/oauthbearer-sasl-server.js'
import { PLAIN_LOGIN_MODULE, PLAIN_MECHANISM, plainSaslServerFactory } from './plain-sasl-server.js'
import type { SaslServerFactory } from './sasl-server.js'

/** What a mechanism may read besides its JAAS entry: the listener's other settings. */
interface MechanismContext {
  readonly listenerName: string
  readonly config: KafkaConfig
  /** The key the JAAS entry came from, for errors. */
  readonly jaasKey: string
}

interface MechanismModule {
  readonly loginModule: string
  readonly factory: (jaas: JaasLoginModule, ctx: MechanismContext) => SaslServerFactory
}

/** OAUTHBEARER's settings are read per listener and mechanism (`listener.name.<l>.oauthbearer.<key>`). */
function oauthBearerFactory(jaas: JaasLoginModule, ctx: MechanismContext): SaslServerFactory {
  const prefix = `${OAUTHBEARER_MECHANISM.toLowerCase()}.`
  return oauthBearerListenerFactory({
    listenerName: ctx.listenerName,
    get: (key) => ctx.config.forListener(ctx.listenerName, prefix + key),
    jaasOptions: jaas.options,
    jaasKey: ctx.jaasKey
  })
}

const MECHANISMS: ReadonlyMap<string, MechanismModule> = new Map([
  [PLAIN_MECHANISM, { loginModule: PLAIN_LOGIN_MODULE, factory: plainSaslServerFactory }],
  [OAUTHBEARER_MECHANISM, { loginModule: OAUTHBEARER_LOGIN_MODULE, factory: oauthBearerFactory }]
])

function prefixedKey(config: KafkaConfig, listener: string, key: string): string {
  const prefixed = `listener.name.${listener.toLowerCase()}.${key}`
  return config.originals.has(prefixed) ? prefixed : key
}

/** The listener's mechanisms in the configured order (SaslHandshake lists them so). */
export function saslServerFactories(config: KafkaConfig, listener: string): Map<string, SaslServerFactory> {
  const enabledKey = prefixedKey(config, listener, 'sasl.enabled.mechanisms')
  const enabled = (config.forListener(listener, 'sasl.enabled.mechanisms') as string[] | null) ?? []
  if (enabled.length === 0) {
    throw ConfigError.invalidValue(
      enabledKey,
      '',
      `listener ${listener} uses SASL and needs at least one mechanism`
    )
  }
  const factories = new Map<string, SaslServerFactory>()
  for (const mechanism of enabled) {
    const module = MECHANISMS.get(mechanism)
    if (!module) {
      throw ConfigError.invalidValue(
        enabledKey,
        enabled.join(','),
        `mechanism ${mechanism} is not supported; supported mechanisms are [${[...MECHANISMS.keys()].join(', ')}]`
      )
    }
    const jaasKey = `${mechanism.toLowerCase()}.sasl.jaas.config`
    const shownKey = config.originals.has(`listener.name.${listener.toLowerCase()}.${jaasKey}`)
      ? `listener.name.${listener.toLowerCase()}.${jaasKey}`
      : prefixedKey(config, listener, 'sasl.jaas.config')
    const text = config.forListener(listener, jaasKey)
    if (typeof text !== 'string' || text === '') {
      throw ConfigError.invalidValue(
        `listener.name.${listener.toLowerCase()}.${jaasKey}`,
        '',
        `mechanism ${mechanism} on listener ${listener} needs a JAAS configuration (or sasl.jaas.config)`
      )
    }
    const jaas = parseJaasConfig(shownKey, text)
    if (jaas.loginModule !== module.loginModule) {
      throw ConfigError.invalidValue(
        shownKey,
        '[hidden]',
        `mechanism ${mechanism} needs login module ${module.loginModule}`
      )
    }
    factories.set(mechanism, module.factory(jaas, { listenerName: listener, config, jaasKey: shownKey }))
  }
  return factories
}
