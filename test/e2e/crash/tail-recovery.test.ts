/**
 * A broker killed with SIGKILL whose last segment then loses its tail (torn write) or has a byte flipped
 * (bit rot) must, on restart, keep the valid prefix, end the log at the first invalid batch's base offset,
 * and append new records from there.
 */

import assert from 'node:assert/strict'
import { mkdtemp, open, readdir, readFile, rm, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { BrokerProcess } from '../../helpers/broker-process.js'
import {
  ensureTopic,
  listOffset,
  produceValues,
  readPartition,
  startBrokerOn
} from '../../helpers/partition-client.js'

const TOPIC = 'tail-recovery'
const BATCHES = 12
const PER_BATCH = 5

interface StoredBatch {
  position: number
  size: number
  baseOffset: number
}

/** Batch boundaries of a .log file, read from the headers only. */
async function batchesOf(path: string): Promise<StoredBatch[]> {
  const data = await readFile(path)
  const out: StoredBatch[] = []
  let pos = 0
  while (pos + 12 <= data.length) {
    const size = data.readInt32BE(pos + 8) + 12
    out.push({ position: pos, size, baseOffset: Number(data.readBigInt64BE(pos)) })
    pos += size
  }
  return out
}

async function lastLogFile(partitionDir: string): Promise<string> {
  const logs = (await readdir(partitionDir)).filter((n) => n.endsWith('.log')).sort()
  const last = logs[logs.length - 1]
  if (!last) throw new Error(`no .log file in ${partitionDir}`)
  return join(partitionDir, last)
}

const value = (offset: number) => `record-${offset}`

/** Produces BATCHES batches of PER_BATCH numbered records, then SIGKILLs the broker. */
async function fillAndKill(logDir: string): Promise<void> {
  const broker = await startBrokerOn(logDir)
  try {
    await ensureTopic(broker.port, TOPIC)
    for (let b = 0; b < BATCHES; b++) {
      const values = Array.from({ length: PER_BATCH }, (_, i) => value(b * PER_BATCH + i))
      const res = await produceValues(broker.port, TOPIC, 0, values)
      assert.equal(res.errorCode, 0, res.errorMessage ?? '')
      assert.equal(res.baseOffset, BigInt(b * PER_BATCH))
    }
  } finally {
    await broker.stop('SIGKILL')
  }
}

/** Restarts on the damaged dir and checks prefix, log end offset and that appends resume there. */
async function assertRecoveredTo(logDir: string, expectedEnd: number): Promise<void> {
  let broker: BrokerProcess | undefined
  try {
    broker = await startBrokerOn(logDir)
    assert.equal(await listOffset(broker.port, TOPIC, 0, -1n), BigInt(expectedEnd), 'log end offset')
    const contents = await readPartition(broker.port, TOPIC, 0)
    assert.deepEqual(
      contents.records,
      Array.from({ length: expectedEnd }, (_, o) => ({ offset: BigInt(o), value: value(o) }))
    )
    const res = await produceValues(broker.port, TOPIC, 0, ['after-restart'])
    assert.equal(res.errorCode, 0, res.errorMessage ?? '')
    assert.equal(res.baseOffset, BigInt(expectedEnd), 'new produce continues at the recovered log end')
    const again = await readPartition(broker.port, TOPIC, 0)
    assert.deepEqual(again.records.at(-1), { offset: BigInt(expectedEnd), value: 'after-restart' })
  } finally {
    await broker?.stop('SIGKILL')
  }
}

describe('log recovery of a damaged tail after SIGKILL', { timeout: 60_000 }, () => {
  const dirs: string[] = []
  const freshDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'samsa-tail-'))
    dirs.push(d)
    return d
  }
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  it('a last batch truncated in its middle is cut off', async () => {
    const logDir = await freshDir()
    await fillAndKill(logDir)
    const file = await lastLogFile(join(logDir, `${TOPIC}-0`))
    const batches = await batchesOf(file)
    assert.equal(batches.length, BATCHES)
    const last = batches[batches.length - 1]!
    await truncate(file, last.position + Math.floor(last.size / 2))
    await assertRecoveredTo(logDir, last.baseOffset)
  })

  it('a byte flipped inside the last batch cuts that batch off', async () => {
    const logDir = await freshDir()
    await fillAndKill(logDir)
    const file = await lastLogFile(join(logDir, `${TOPIC}-0`))
    const last = (await batchesOf(file)).at(-1)!
    await flipByte(file, last.position + last.size - 3)
    await assertRecoveredTo(logDir, last.baseOffset)
  })

  it('a byte flipped in a middle batch cuts the log there, dropping the valid batches after it', async () => {
    const logDir = await freshDir()
    await fillAndKill(logDir)
    const file = await lastLogFile(join(logDir, `${TOPIC}-0`))
    const middle = (await batchesOf(file))[Math.floor(BATCHES / 2)]!
    // Inside the records, past the header: only the CRC can catch it.
    await flipByte(file, middle.position + 61 + 2)
    await assertRecoveredTo(logDir, middle.baseOffset)
  })
})

async function flipByte(path: string, position: number): Promise<void> {
  const fh = await open(path, 'r+')
  try {
    const one = Buffer.alloc(1)
    await fh.read(one, 0, 1, position)
    one[0] = one[0]! ^ 0xff
    await fh.write(one, 0, 1, position)
  } finally {
    await fh.close()
  }
}
