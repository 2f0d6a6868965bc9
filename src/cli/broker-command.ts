/** `samsa broker [server.properties] [--override key=value ...]`: runs one broker until SIGTERM or SIGINT. */

import { parseArgs } from 'node:util'
import { createBroker } from '../broker/broker.js'
import { createLogger, LOG_LEVELS, type LogLevel } from '../common/logger.js'
import { ConfigError } from '../config/config-error.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { loadKafkaConfig } from '../config/load-config.js'
import { listenerSecurity } from '../security/listener-security.js'

export const BROKER_USAGE = `Usage: samsa broker [server.properties] [--override key=value ...] [--log-level level]

Starts a broker. Configuration keys and defaults are Kafka's (e.g. listeners, log.dirs, num.partitions);
--override may repeat and wins over the file.`

/** Resolves with the process exit code. */
export async function runBroker(argv: readonly string[]): Promise<number> {
  let propertiesPath: string | undefined
  let overrides: string[]
  let logLevel: LogLevel
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        override: { type: 'string', multiple: true, default: [] },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false }
      }
    })
    if (values.help) {
      process.stdout.write(`${BROKER_USAGE}\n`)
      return 0
    }
    if (positionals.length > 1)
      throw new Error(`expected at most one properties file, got ${positionals.join(' ')}`)
    propertiesPath = positionals[0]
    overrides = values.override
    const level = values['log-level']
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
    }
    logLevel = level as LogLevel
  } catch (err) {
    process.stderr.write(`samsa broker: ${(err as Error).message}\n${BROKER_USAGE}\n`)
    return 1
  }

  let config: KafkaConfig
  try {
    config = await loadKafkaConfig(propertiesPath, overrides)
    // Keystores, truststores and JAAS configurations are checked now, so their errors read like any other.
    for (const listener of config.listeners) listenerSecurity(config, listener)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`samsa broker: ${err.message}\n`)
    return 1
  }

  const logger = createLogger(logLevel)
  for (const key of config.unknownKeys) {
    logger.warn({ key }, `The configuration '${key}' was supplied but isn't a known config.`)
  }
  const kraft = kraftNote(config)
  if (kraft !== null) logger.warn({ keys: kraft.keys }, kraft.note)
  const ignored = config.ignoredKeys.filter((k) => !kraft?.keys.includes(k))
  if (ignored.length > 0) logger.info({ keys: ignored }, 'configurations accepted but ignored')

  const server = createBroker(config, logger)
  let started = false
  let signalled: NodeJS.Signals | undefined
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return
      signalled = signal
      logger.info({ signal }, started ? 'received signal' : 'received signal during start-up')
      // A start-up may wait on something that never answers (an etcd that accepts and stays silent):
      // shutdown stops what has started and the process then exits, bounded in time either way.
      boundedShutdown(server, started ? null : STARTUP_SHUTDOWN_LIMIT_MS).then(
        () => resolve(started ? 0 : 1),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed')
          resolve(1)
        }
      )
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })

  const starting = server.start().then(
    () => {
      started = true
      return null
    },
    (err: unknown) => err ?? new Error('unknown failure')
  )
  const first = await Promise.race([starting, stopped.then(() => 'signal' as const)])
  if (first === 'signal') {
    process.stderr.write(`samsa broker: start-up interrupted by ${signalled}; stopped\n`)
    return 1
  }
  if (first !== null) {
    logger.fatal({ err: first }, 'broker failed to start')
    await boundedShutdown(server, STARTUP_SHUTDOWN_LIMIT_MS).catch(() => {})
    // The one line an operator reads last, after the shutdown's log lines.
    process.stderr.write(`samsa broker: failed to start: ${startFailure(first, config)}\n`)
    return 1
  }
  return stopped
}

/** KRaft's settings of a stock Kafka server.properties, which Samsa accepts and ignores: one note for all. */
export function kraftNote(config: KafkaConfig): { keys: string[]; note: string } | null {
  const keys = config.ignoredKeys.filter((k) => k === 'process.roles' || k.startsWith('controller.'))
  if (keys.length === 0 && config.controllerListeners.length === 0) return null
  const listeners = config.controllerListeners.map((l) => `${l.listenerName}://${l.host}:${l.port}`)
  return {
    keys,
    note:
      `KRaft settings ignored: Samsa has no KRaft controller quorum (cluster metadata is in ` +
      `metadata.store=${config.getString('metadata.store')}); ignored: ${keys.join(', ') || 'none'}` +
      (listeners.length > 0 ? `; controller listener not opened: ${listeners.join(', ')}` : '')
  }
}

/** How long a start-up that failed or was interrupted may take to stop what it started. */
const STARTUP_SHUTDOWN_LIMIT_MS = 10_000

function boundedShutdown(server: { shutdown(): Promise<void> }, limitMs: number | null): Promise<void> {
  if (limitMs === null) return server.shutdown()
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs)
    timer.unref()
  })
  return Promise.race([server.shutdown(), limit]).finally(() => clearTimeout(timer))
}

function startFailure(err: unknown, config: KafkaConfig): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') return `a listener's port is already in use (${err.message})`
  // The etcd client's gRPC errors read "14 UNAVAILABLE: No connection established ...".
  if (config.getString('metadata.store') === 'etcd' && /UNAVAILABLE|ECONNREFUSED|ETIMEDOUT/.test(err.message))
    return `etcd is unreachable at ${config.getList('etcd.endpoints').join(',')} (${err.message.split('\n')[0]})`
  return err.message
}
