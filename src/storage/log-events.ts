/**
 * What the log layer tells an operator about, without knowing how it is told: the broker turns these into
 * log lines (and may count them). Storage has no logger of its own, so it reports facts, not prose.
 */

import type { TopicPartition } from './log-file-names.js'

/** How one log came up: recovered after an unclean shutdown or opened from a clean one. */
export interface LogLoadSummary {
  readonly segments: number
  readonly hadCleanShutdown: boolean
  /** Segments at or above the recovery point were read and checked batch by batch. */
  readonly recovered: boolean
  /** Bytes cut from the end because they did not form whole, valid batches. */
  readonly truncatedBytes: number
  readonly durationMs: number
}

export type LogEvent =
  | ({
      readonly type: 'log-loaded'
      readonly topicPartition: TopicPartition
      readonly logEndOffset: number
    } & LogLoadSummary)
  | {
      readonly type: 'logs-loaded'
      readonly logDir: string
      readonly logs: number
      readonly recoveredLogs: number
      readonly segments: number
      readonly truncatedBytes: number
      readonly durationMs: number
    }
  | {
      readonly type: 'retention'
      readonly topicPartition: TopicPartition
      readonly segmentsDeleted: number
      readonly logStartOffset: number
    }
  | {
      readonly type: 'compaction'
      readonly topicPartition: TopicPartition
      readonly segmentsCleaned: number
      readonly recordsRemoved: number
      readonly recordsRetained: number
      readonly bytesRead: number
      readonly bytesWritten: number
      readonly durationMs: number
    }

export type LogEventListener = (event: LogEvent) => void
