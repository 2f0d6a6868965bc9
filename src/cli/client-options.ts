/**
 * The connection settings every client command shares, resolved as rpk resolves them: flags, then `-X key=value`,
 * then SAMSA_* environment variables, then the profile file (`--profile`, SAMSA_PROFILE or
 * ~/.config/samsa/profile.yaml). The result is @platformatic/kafka's client options, so the commands talk to any
 * Kafka-compatible cluster (Samsa, Kafka, Redpanda) over PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
 */

import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { BaseOptions } from '@platformatic/kafka'
import type { Command } from 'commander'
import { parse as parseYaml } from 'yaml'
import { UsageError } from './cli-errors.js'

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
type SaslMechanism = (typeof SASL_MECHANISMS)[number]

/** The settings after every source is merged; each field is the first source that sets it. */
export interface ConnectionSettings {
  brokers: string[]
  tlsEnabled: boolean
  tlsCa?: string
  tlsCert?: string
  tlsKey?: string
  saslMechanism?: SaslMechanism
  user?: string
  password?: string
}

/** The raw values of one source, all strings as they were written. */
type RawSettings = Partial<Record<keyof ConnectionSettings, string>>

export interface ConnectionFlags {
  brokers?: string
  X?: string[]
  profile?: string
  tlsEnabled?: boolean
  tlsCa?: string
  tlsTruststore?: string
  tlsCert?: string
  tlsKey?: string
  saslMechanism?: string
  user?: string
  password?: string
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]

/** Adds the connection flags to a command that talks to a cluster. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--brokers <list>', 'comma-separated host:port bootstrap brokers (env SAMSA_BROKERS)')
    .option(
      '-X <key=value>',
      'rpk-style setting: brokers, tls.enabled, tls.ca, tls.cert, tls.key, sasl.mechanism, user, pass',
      collect
    )
    .option('--profile <file>', 'profile file (default ~/.config/samsa/profile.yaml, env SAMSA_PROFILE)')
    .option('--tls-enabled', 'connect with TLS (env SAMSA_TLS_ENABLED)')
    .option('--tls-ca <file>', 'PEM CA certificates to trust (env SAMSA_TLS_CA)')
    .option('--tls-truststore <file>', 'same as --tls-ca (a PEM file)')
    .option('--tls-cert <file>', 'PEM client certificate for mutual TLS (env SAMSA_TLS_CERT)')
    .option('--tls-key <file>', 'PEM client key for mutual TLS (env SAMSA_TLS_KEY)')
    .option('--sasl-mechanism <name>', 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (env SAMSA_SASL_MECHANISM)')
    .option('--user <name>', 'SASL user (env SAMSA_USER)')
    .option('--password <secret>', 'SASL password (env SAMSA_PASSWORD)')
}

const X_KEYS: Record<string, keyof ConnectionSettings> = {
  brokers: 'brokers',
  'tls.enabled': 'tlsEnabled',
  'tls.ca': 'tlsCa',
  'tls.cert': 'tlsCert',
  'tls.key': 'tlsKey',
  'sasl.mechanism': 'saslMechanism',
  user: 'user',
  pass: 'password',
  password: 'password'
}

function fromX(pairs: readonly string[]): RawSettings {
  const out: RawSettings = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    const field = X_KEYS[key]
    if (field === undefined)
      throw new UsageError(`unknown -X key ${key} (known: ${Object.keys(X_KEYS).join(', ')})`)
    out[field] = eq < 0 ? 'true' : pair.slice(eq + 1)
  }
  return out
}

function fromEnv(env: NodeJS.ProcessEnv): RawSettings {
  return {
    brokers: env.SAMSA_BROKERS,
    tlsEnabled: env.SAMSA_TLS_ENABLED,
    tlsCa: env.SAMSA_TLS_CA,
    tlsCert: env.SAMSA_TLS_CERT,
    tlsKey: env.SAMSA_TLS_KEY,
    saslMechanism: env.SAMSA_SASL_MECHANISM,
    user: env.SAMSA_USER,
    password: env.SAMSA_PASSWORD ?? env.SAMSA_PASS
  }
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  if (Array.isArray(v)) return v.map(String).join(',')
  return String(v)
}

/**
 * A profile in rpk's layout (`kafka_api: {brokers, tls: {ca_file, cert_file, key_file}, sasl: {user, password,
 * mechanism}}`); the same keys at the top level work too.
 */
function fromProfile(path: string | undefined, env: NodeJS.ProcessEnv): RawSettings {
  const explicit = path ?? env.SAMSA_PROFILE
  const file = explicit ?? join(env.HOME ?? homedir(), '.config', 'samsa', 'profile.yaml')
  if (!explicit && !existsSync(file)) return {}
  let doc: Record<string, unknown>
  try {
    doc = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>
  } catch (err) {
    throw new UsageError(`cannot read profile ${file}: ${(err as Error).message}`)
  }
  const api = (doc.kafka_api ?? doc) as Record<string, unknown>
  const tls = api.tls as Record<string, unknown> | undefined
  const sasl = api.sasl as Record<string, unknown> | undefined
  return {
    brokers: str(api.brokers),
    tlsEnabled: tls ? str(tls.enabled ?? true) : undefined,
    tlsCa: str(tls?.ca_file),
    tlsCert: str(tls?.cert_file),
    tlsKey: str(tls?.key_file),
    saslMechanism: str(sasl?.mechanism),
    user: str(sasl?.user),
    password: str(sasl?.password)
  }
}

function fromFlags(f: ConnectionFlags): RawSettings {
  return {
    brokers: f.brokers,
    tlsEnabled: f.tlsEnabled ? 'true' : undefined,
    tlsCa: f.tlsCa ?? f.tlsTruststore,
    tlsCert: f.tlsCert,
    tlsKey: f.tlsKey,
    saslMechanism: f.saslMechanism,
    user: f.user,
    password: f.password
  }
}

export function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env
): ConnectionSettings {
  const sources = [fromFlags(flags), fromX(flags.X ?? []), fromEnv(env), fromProfile(flags.profile, env)]
  const pick = (k: keyof ConnectionSettings) => sources.find((s) => s[k] !== undefined && s[k] !== '')?.[k]
  const brokers = (pick('brokers') ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0)
  const mechanism = pick('saslMechanism')?.toUpperCase()
  if (mechanism !== undefined && !(SASL_MECHANISMS as readonly string[]).includes(mechanism))
    throw new UsageError(`unsupported SASL mechanism ${mechanism} (use ${SASL_MECHANISMS.join(', ')})`)
  const tlsFlag = pick('tlsEnabled')
  const settings: ConnectionSettings = {
    brokers,
    // Naming a CA or a client certificate implies TLS, as it does for rpk.
    tlsEnabled:
      (tlsFlag !== undefined && tlsFlag !== 'false') ||
      pick('tlsCa') !== undefined ||
      pick('tlsCert') !== undefined
  }
  const optional = ['tlsCa', 'tlsCert', 'tlsKey', 'user', 'password'] as const
  for (const k of optional) {
    const v = pick(k)
    if (v !== undefined) settings[k] = v
  }
  if (mechanism !== undefined) settings.saslMechanism = mechanism as SaslMechanism
  if (settings.saslMechanism === undefined && settings.user !== undefined) settings.saslMechanism = 'PLAIN'
  return settings
}

/** @platformatic/kafka client options for the settings. */
export function clientOptions(s: ConnectionSettings, clientId = 'samsa-cli'): BaseOptions {
  const options: BaseOptions = {
    clientId,
    bootstrapBrokers: s.brokers,
    retries: 2,
    retryDelay: 250,
    timeout: 30_000,
    connectTimeout: 10_000
  }
  if (s.tlsEnabled) {
    options.tls = {
      ...(s.tlsCa ? { ca: readFileSync(s.tlsCa) } : {}),
      ...(s.tlsCert ? { cert: readFileSync(s.tlsCert) } : {}),
      ...(s.tlsKey ? { key: readFileSync(s.tlsKey) } : {})
    }
  }
  if (s.saslMechanism !== undefined) {
    options.sasl = { mechanism: s.saslMechanism, username: s.user ?? '', password: s.password ?? '' }
  }
  return options
}
