/**
 * A log dir that runs out of space: producers get KAFKA_STORAGE_ERROR (56), the broker keeps serving, and
 * once there is room again a restarted broker has every acknowledged record intact. The log dir is a 4 MiB
 * tmpfs (needs root / CAP_SYS_ADMIN; the test is skipped, saying why, where mount is not permitted).
 */

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import type { BrokerProcess } from '../../helpers/broker-process.js'
import {
  ensureTopic,
  listOffset,
  produceValues,
  readPartition,
  request,
  startBrokerOn
} from '../../helpers/partition-client.js'

const TOPIC = 'full-disk'
const RECORDS_PER_BATCH = 32
const VALUE_BYTES = 2000

function run(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 })
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` }
}

const recordValue = (batch: number, i: number) => `${batch}-${i}-`.padEnd(VALUE_BYTES, 'x')

describe('a full log dir', { timeout: 60_000 }, () => {
  let mountPoint = ''
  let mounted = false
  let mountError = ''
  const brokers: BrokerProcess[] = []

  before(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'samsa-full-disk-'))
    const m = run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint])
    mounted = m.ok
    mountError = m.output.trim()
  })

  after(async () => {
    for (const b of brokers) await b.stop('SIGKILL')
    if (mounted) run('umount', ['-l', mountPoint])
    await rm(mountPoint, { recursive: true, force: true })
  })

  it('answers produce with KAFKA_STORAGE_ERROR, keeps serving, and keeps acknowledged records', async (t) => {
    if (!mounted) {
      t.skip(`cannot mount a small tmpfs here: ${mountError}`)
      return
    }
    const logDir = join(mountPoint, 'logs')
    let broker = await startBrokerOn(logDir)
    brokers.push(broker)
    await ensureTopic(broker.port, TOPIC)

    // offset -> value of every acknowledged record
    const acked = new Map<number, string>()
    let failure: { errorCode: number; errorMessage: string | null } | undefined
    // 4 MiB / 64 KB per batch: the disk is full well before 200 batches.
    for (let b = 0; b < 200 && !failure; b++) {
      const values = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => recordValue(b, i))
      const res = await produceValues(broker.port, TOPIC, 0, values)
      if (res.errorCode !== ErrorCode.NONE) failure = res
      else {
        for (const [i, v] of values.entries()) acked.set(Number(res.baseOffset) + i, v)
      }
    }
    assert.ok(failure, 'the disk never filled up')
    assert.equal(failure.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, failure.errorMessage ?? '')
    assert.ok(acked.size > 0, 'nothing was acknowledged before the disk filled')

    // Still alive and serving metadata, and the log keeps refusing rather than half-writing.
    assert.equal(broker.child.exitCode, null, 'broker exited')
    const md = await request<MetadataResponse>(broker.port, 3, 9, {
      topics: [{ name: TOPIC }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false
    })
    assert.equal(md.brokers.length, 1)
    assert.equal(md.topics[0]?.name, TOPIC)
    const again = await produceValues(broker.port, TOPIC, 0, ['small'])
    assert.equal(again.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)

    const exit = await broker.stop('SIGTERM')
    t.diagnostic(`shutdown on a full disk: ${JSON.stringify(exit)}`)

    const grown = run('mount', ['-o', 'remount,size=64m', mountPoint])
    assert.ok(grown.ok, grown.output)
    broker = await startBrokerOn(logDir)
    brokers.push(broker)
    const end = Number(await listOffset(broker.port, TOPIC, 0, -1n))
    const contents = await readPartition(broker.port, TOPIC, 0)
    const stored = new Map(contents.records.map((r) => [Number(r.offset), r.value]))
    for (const [offset, value] of acked) {
      assert.equal(stored.get(offset), value, `acknowledged record at offset ${offset}`)
    }
    assert.equal(contents.records.length, end, 'offsets are dense from 0 to the log end')
    const next = await produceValues(broker.port, TOPIC, 0, ['after-restart'])
    assert.equal(next.errorCode, ErrorCode.NONE, next.errorMessage ?? '')
    assert.equal(Number(next.baseOffset), end)
  })
})
