/**
 * On-disk names, as Kafka lays them out: one directory per topic-partition named `<topic>-<partition>`, and
 * per segment three files named by the segment's base offset zero-padded to 20 digits.
 */
export const LOG_FILE_SUFFIX = '.log'
export const INDEX_FILE_SUFFIX = '.index'
export const TIME_INDEX_FILE_SUFFIX = '.timeindex'
/** Appended to a segment's files when retention drops it; the files are removed after a delay. */
export const DELETED_FILE_SUFFIX = '.deleted'
/** Per-partition marker written by a clean close; its absence on open triggers recovery. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint'
/** Per log dir checkpoints, one line per partition. */
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint'
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint'
/** Suffix of a partition directory renamed for asynchronous deletion. */
export const DELETE_DIR_SUFFIX = '-delete'

export interface TopicPartition {
  topic: string
  partition: number
}

export function offsetFileStem(offset: number): string {
  return String(offset).padStart(20, '0')
}

export function logFileName(baseOffset: number): string {
  return offsetFileStem(baseOffset) + LOG_FILE_SUFFIX
}

/** Parses `00000000000000000042.log` into 42, or undefined for any other name. */
export function parseLogFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name)
  return m ? Number(m[1]) : undefined
}

export function partitionDirName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`
}

/** Topic names may contain '-', so the partition is whatever follows the last one. */
export function parsePartitionDirName(name: string): TopicPartition | undefined {
  const m = /^(.+)-(\d+)$/.exec(name)
  if (!m || name.endsWith(DELETE_DIR_SUFFIX)) return undefined
  return { topic: m[1]!, partition: Number(m[2]) }
}

export function topicPartitionKey(tp: TopicPartition): string {
  return partitionDirName(tp)
}
