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
  if (config.ignoredKeys.length > 0)
    logger.info({ keys: config.ignoredKeys }, 'configurations accepted but ignored')

  const server = createBroker(config, logger)
  const stopped = new Promise<number>((resolve) => {
    let signalled = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return
      signalled = true
      logger.info({ signal }, 'received signal')
      server.shutdown().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed')
          resolve(1)
        }
      )
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })

  try {
    await server.start()
  } catch (err) {
    logger.fatal({ err }, 'broker failed to start')
    await server.shutdown()
    return 1
  }
  return stopped
}
