import { LogConfig } from '../../src/storage/log-config.js'
import { UnifiedLog } from '../../src/storage/unified-log.js'
import { filler, makeBatch } from './batch-fixtures.js'

export const TP = { topic: 'orders', partition: 0 }

export function openLog(
  dir: string,
  props: Record<string, string | number> = {},
  extra: Partial<Parameters<typeof UnifiedLog.open>[0]> = {}
): Promise<UnifiedLog> {
  return UnifiedLog.open({ dir, topicPartition: TP, config: new LogConfig(props), ...extra })
}

/** Appends `count` single-batch produces of `perBatch` records with value size `valueBytes`. */
export async function produce(
  log: UnifiedLog,
  count: number,
  opts: { perBatch?: number; valueBytes?: number; timestamp?: number; leaderEpoch?: number } = {}
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const values = Array.from({ length: opts.perBatch ?? 1 }, () => filler(opts.valueBytes ?? 20))
    const batch = await makeBatch({ values, timestamp: opts.timestamp ?? 1_700_000_000_000 })
    await log.append(batch, { leaderEpoch: opts.leaderEpoch ?? 0 })
  }
}

/** Base offsets of the batches in a read result. */
export function batchOffsets(records: Buffer): number[] {
  const out: number[] = []
  for (let pos = 0; pos < records.length; pos += records.readInt32BE(pos + 8) + 12) {
    out.push(Number(records.readBigInt64BE(pos)))
  }
  return out
}
