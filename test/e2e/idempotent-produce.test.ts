/**
 * Idempotent produce against a live broker with raw Produce frames: a re-sent batch (same producer id,
 * epoch and sequences) is stored once and answered with its original base offset, a sequence gap is
 * OUT_OF_ORDER_SEQUENCE_NUMBER (45), an older epoch INVALID_PRODUCER_EPOCH (47), and all of it holds
 * across a clean restart (SIGTERM) and a crash (SIGKILL).
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { createRecordBatch, encodeRecordBatch } from '../../src/protocol/records/index.js'
import type { BrokerProcess } from '../helpers/broker-process.js'
import { ensureTopic, produceBatch, readPartition, startBrokerOn } from '../helpers/partition-client.js'

const PRODUCER_ID = 4242n

function idempotentBatch(epoch: number, baseSequence: number, values: readonly string[]): Promise<Buffer> {
  return encodeRecordBatch(
    createRecordBatch({
      producerId: PRODUCER_ID,
      producerEpoch: epoch,
      baseSequence,
      baseTimestamp: BigInt(Date.now()),
      records: values.map((v, i) => ({
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: i,
        key: null,
        value: Buffer.from(v),
        headers: []
      }))
    })
  )
}

async function send(port: number, topic: string, epoch: number, seq: number, values: readonly string[]) {
  return produceBatch(port, topic, 0, await idempotentBatch(epoch, seq, values))
}

async function values(port: number, topic: string): Promise<string[]> {
  return (await readPartition(port, topic, 0)).records.map((r) => r.value)
}

describe('idempotent produce (raw frames)', { timeout: 90_000 }, () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`deduplicates retries, rejects gaps and old epochs, across a ${signal} restart`, async () => {
      const logDir = await mkdtemp(join(tmpdir(), 'samsa-idem-'))
      let broker: BrokerProcess | undefined
      try {
        broker = await startBrokerOn(logDir)
        const port = broker.port
        const topic = `idem-${signal.toLowerCase()}`
        await ensureTopic(port, topic)

        const first = await send(port, topic, 0, 0, ['a', 'b'])
        assert.equal(first.errorCode, ErrorCode.NONE, first.errorMessage ?? '')
        const retry = await send(port, topic, 0, 0, ['a', 'b'])
        assert.equal(retry.errorCode, ErrorCode.NONE, retry.errorMessage ?? '')
        assert.equal(retry.baseOffset, first.baseOffset, 'a retry is answered with the original offset')
        const second = await send(port, topic, 0, 2, ['c'])
        assert.equal(second.errorCode, ErrorCode.NONE)
        assert.equal(second.baseOffset, first.baseOffset + 2n)

        const gap = await send(port, topic, 0, 5, ['gap'])
        assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
        assert.equal(gap.errorCode, 45)

        const bumped = await send(port, topic, 1, 0, ['d'])
        assert.equal(bumped.errorCode, ErrorCode.NONE, bumped.errorMessage ?? '')
        const stale = await send(port, topic, 0, 3, ['stale'])
        assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
        assert.equal(stale.errorCode, 47)
        assert.deepEqual(await values(port, topic), ['a', 'b', 'c', 'd'])

        await broker.stop(signal)
        broker = await startBrokerOn(logDir, port)

        // Every one of the producer's recent batches is still recognised as a retry after the restart.
        const retryAfter = await send(port, topic, 1, 0, ['d'])
        assert.equal(retryAfter.errorCode, ErrorCode.NONE, retryAfter.errorMessage ?? '')
        assert.equal(retryAfter.baseOffset, bumped.baseOffset)
        const gapAfter = await send(port, topic, 1, 3, ['gap'])
        assert.equal(gapAfter.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
        const staleAfter = await send(port, topic, 0, 3, ['stale'])
        assert.equal(staleAfter.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
        const next = await send(port, topic, 1, 1, ['e'])
        assert.equal(next.errorCode, ErrorCode.NONE, next.errorMessage ?? '')
        assert.equal(next.baseOffset, bumped.baseOffset + 1n)
        assert.deepEqual(await values(port, topic), ['a', 'b', 'c', 'd', 'e'])
      } finally {
        await broker?.stop('SIGKILL')
        await rm(logDir, { recursive: true, force: true })
      }
    })
  }
})
