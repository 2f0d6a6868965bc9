/**
 * A leader append wakes the follower fetches parked in the fetch purgatory, and only those (issue #7): on a
 * 2-broker cluster whose followers park each fetch for replica.fetch.wait.max.ms=15000, acks=all produces
 * to an RF=2 topic with min.insync.replicas=2 are answered well within their 5 s timeout (without the wake
 * each waits for the parked fetch to expire); and a consumer fetch parked at the high watermark is not
 * answered by an append the ISR does not have yet (it would come back empty), but by the high watermark
 * moving, with the record.
 */

import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { FetchResponse } from '../../../src/protocol/messages/fetch.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import {
  brokerOf,
  consumerFetchRequest,
  partitionOf,
  produceValues,
  startClusterWithTopic,
  stopCluster,
  recordValues as values,
  waitForIsr
} from './cluster-kit.js'

const TOPIC = 'wakeup'
const FETCH_WAIT_MS = 15_000
// A parked follower is caught up when its fetch returns: the lag limit must exceed the park time.
const OVERRIDES = [`replica.fetch.wait.max.ms=${FETCH_WAIT_MS}`, 'replica.lag.time.max.ms=40000']

function produce(port: number, acks: number, value: string) {
  return produceValues(port, TOPIC, acks, [value])
}

describe('fetch purgatory wake-ups on leader appends', async () => {
  const skip = await ensureEtcd()
  const opts = { skip }
  let dir = ''
  let state: ClusterState | undefined
  const portOf = (nodeId: number) => brokerOf(state!, nodeId).port
  const pidOf = (nodeId: number) => brokerOf(state!, nodeId).pid

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-fetch-wakeup-'))
    state = await startClusterWithTopic(dir, 2, OVERRIDES, {
      topic: TOPIC,
      numPartitions: 1,
      replicationFactor: 2,
      configEntries: [{ name: 'min.insync.replicas', value: '2' }]
    })
    await waitForIsr(state.bootstrap, TOPIC, 2)
  })

  after(async () => {
    if (skip || !dir) return
    await stopCluster(dir, state)
  })

  it('acks=all produces complete although the follower parks its fetches for 15 s', opts, async () => {
    const leader = (await partitionOf(state!.bootstrap, TOPIC)).leader
    for (let i = 0; i < 5; i++) {
      const r = await produce(portOf(leader), -1, `acked-${i}`)
      assert.equal(r.errorCode, ErrorCode.NONE, `produce ${i} failed with error ${r.errorCode}`)
      assert.equal(r.baseOffset, BigInt(i))
    }
  })

  it(
    'a consumer fetch at the high watermark is answered when the ISR has the record, with it',
    opts,
    async () => {
      const p = await partitionOf(state!.bootstrap, TOPIC)
      const follower = p.replicas.map((r) => r.id).find((id) => id !== p.leader)!
      const consumer = await RawKafkaClient.connect(portOf(p.leader))
      try {
        const fetch = consumerFetchRequest(TOPIC, { fetchOffset: 5, maxWaitMs: 30_000, minBytes: 1 })
        // The follower cannot take the record while it is stopped, so the high watermark stays at 5.
        process.kill(pidOf(follower), 'SIGSTOP')
        try {
          consumer.send(
            { requestApiKey: 1, requestApiVersion: 12, correlationId: 7, clientId: 'wakeup-test' },
            fetch
          )
          const appended = await produce(portOf(p.leader), 1, 'late')
          assert.equal(appended.errorCode, ErrorCode.NONE)
          assert.equal(appended.baseOffset, 5n)
          await new Promise((r) => setTimeout(r, 500))
        } finally {
          process.kill(pidOf(follower), 'SIGCONT')
        }
        const response = await consumer.nextResponse<FetchResponse>(1, 12, 40_000)
        const data = response.body.responses[0]?.partitions[0]
        assert.ok(data)
        assert.equal(data.errorCode, ErrorCode.NONE)
        assert.deepEqual(
          await values(data.records),
          ['late'],
          'the parked fetch was answered without the record'
        )
        assert.equal(data.highWatermark, 6n)
      } finally {
        consumer.close()
      }
    }
  )
})
