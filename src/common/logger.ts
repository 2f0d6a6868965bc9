/** Structured JSON logging for the broker (pino), one line per event on stdout. */

import { pino } from 'pino'

export type Logger = pino.Logger

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export function createLogger(level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { name: 'samsa', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) }
  }
  // Synchronous stdout so that the last lines before exit (shutdown, fatal config errors) are never lost.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }))
}
