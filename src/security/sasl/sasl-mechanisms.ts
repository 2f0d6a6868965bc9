/**
 * The SASL mechanisms a listener offers: `listener.name.<name>.sasl.enabled.mechanisms` or the broker-wide
 * `sasl.enabled.mechanisms`, each built by its module from the listener's JAAS configuration
 * (`listener.name.<name>.<mechanism>.sasl.jaas.config`, else `sasl.jaas.config`).
 */

import { ConfigError } from '../../config/config-error.js'
import type { KafkaConfig } from '../../config/kafka-config.js'
import { type JaasLoginModule, parseJaasConfig } from '../jaas-config.js'
import type { AwsCredentialStore } from '../msk-iam/aws-credential-store.js'
import type { ScramCredentialStore } from '../scram/scram-credential-cache.js'
import { SCRAM_SHA_256, SCRAM_SHA_512, type ScramMechanism } from '../scram/scram-mechanism.js'
import {
  AWS_MSK_IAM_LOGIN_MODULE,
  AWS_MSK_IAM_MECHANISM,
  awsMskIamSaslServerFactoryFor
} from './aws-msk-iam-sasl-server.js'
import {
  OAUTHBEARER_LOGIN_MODULE,
  oauthBearerListenerFactory,
  validatesMskIamTokens
} from './oauthbearer/oauthbearer-config.js'
import { OAUTHBEARER_MECHANISM } from './oauthbearer/oauthbearer-sasl-server.js'
import { PLAIN_LOGIN_MODULE, PLAIN_MECHANISM, plainSaslServerFactory } from './plain-sasl-server.js'
import type { SaslServerFactory } from './sasl-server.js'
import { scramSaslServerFactory } from './scram-sasl-server.js'

/** What mechanisms read at authentication time, beyond their JAAS entry: the broker's runtime state. */
export interface SaslMechanismContext {
  /** SCRAM credentials from the cluster metadata (none known when absent: every SCRAM login fails). */
  readonly scramCredentials?: ScramCredentialStore
  /** AWS access keys from the cluster metadata (none known when absent: every AWS_MSK_IAM login fails). */
  readonly awsCredentials?: AwsCredentialStore
  /** The host a listener advertises, which AWS_MSK_IAM clients sign for. */
  readonly advertisedHost?: (listenerName: string) => string | undefined
}

/** What a mechanism may read besides its JAAS entry and the broker's state: the listener's other settings. */
interface ListenerMechanismSettings {
  readonly listenerName: string
  readonly config: KafkaConfig
  /** The key the JAAS entry came from, for errors. */
  readonly jaasKey: string
}

interface MechanismModule {
  readonly loginModule: string
  readonly factory: (
    jaas: JaasLoginModule,
    context: SaslMechanismContext,
    listener: string,
    settings: ListenerMechanismSettings
  ) => SaslServerFactory
}

/** OAUTHBEARER's settings are read per listener and mechanism (`listener.name.<l>.oauthbearer.<key>`). */
function oauthBearerFactory(
  jaas: JaasLoginModule,
  context: SaslMechanismContext,
  _listener: string,
  settings: ListenerMechanismSettings
): SaslServerFactory {
  const prefix = `${OAUTHBEARER_MECHANISM.toLowerCase()}.`
  return oauthBearerListenerFactory({
    listenerName: settings.listenerName,
    get: (key) => settings.config.forListener(settings.listenerName, prefix + key),
    jaasOptions: jaas.options,
    jaasKey: settings.jaasKey,
    ...(context.awsCredentials ? { awsCredentials: context.awsCredentials } : {})
  })
}

/**
 * SCRAM's JAAS entry on a broker holds the credentials it uses as a client to other brokers; the server side
 * reads users from the cluster metadata instead (KIP-554), as Kafka's ScramSaslServer does.
 */
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule'
const NO_SCRAM_CREDENTIALS: ScramCredentialStore = { credential: () => undefined }

const scramModule = (m: ScramMechanism): [string, MechanismModule] => [
  m.name,
  {
    loginModule: SCRAM_LOGIN_MODULE,
    factory: (_jaas, context) => scramSaslServerFactory(m, context.scramCredentials ?? NO_SCRAM_CREDENTIALS)
  }
]

const MECHANISMS: ReadonlyMap<string, MechanismModule> = new Map<string, MechanismModule>([
  [PLAIN_MECHANISM, { loginModule: PLAIN_LOGIN_MODULE, factory: plainSaslServerFactory }],
  scramModule(SCRAM_SHA_256),
  scramModule(SCRAM_SHA_512),
  [OAUTHBEARER_MECHANISM, { loginModule: OAUTHBEARER_LOGIN_MODULE, factory: oauthBearerFactory }],
  [AWS_MSK_IAM_MECHANISM, { loginModule: AWS_MSK_IAM_LOGIN_MODULE, factory: awsMskIamSaslServerFactoryFor }]
])

function prefixedKey(config: KafkaConfig, listener: string, key: string): string {
  const prefixed = `listener.name.${listener.toLowerCase()}.${key}`
  return config.originals.has(prefixed) ? prefixed : key
}

/** The listener's mechanisms in the configured order (SaslHandshake lists them so). */
export function saslServerFactories(
  config: KafkaConfig,
  listener: string,
  context: SaslMechanismContext = {}
): Map<string, SaslServerFactory> {
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
    factories.set(
      mechanism,
      module.factory(jaas, context, listener, { listenerName: listener, config, jaasKey: shownKey })
    )
  }
  return factories
}

/** Whether any listener enables `mechanism` (the broker then provides what the mechanism needs). */
export function anyListenerEnables(config: KafkaConfig, mechanism: string): boolean {
  return config.listeners.some((l) =>
    ((config.forListener(l.listenerName, 'sasl.enabled.mechanisms') as string[] | null) ?? []).includes(
      mechanism
    )
  )
}

/**
 * Whether the broker must follow its AWS access keys: a listener enables AWS_MSK_IAM, or its OAUTHBEARER
 * validates MSK IAM tokens.
 */
export function anyListenerUsesAwsCredentials(config: KafkaConfig): boolean {
  if (anyListenerEnables(config, AWS_MSK_IAM_MECHANISM)) return true
  const prefix = `${OAUTHBEARER_MECHANISM.toLowerCase()}.`
  return config.listeners.some(
    (l) =>
      ((config.forListener(l.listenerName, 'sasl.enabled.mechanisms') as string[] | null) ?? []).includes(
        OAUTHBEARER_MECHANISM
      ) && validatesMskIamTokens((key) => config.forListener(l.listenerName, prefix + key))
  )
}
