/**
 * A leader append wakes the follower fetches parked in the fetch purgatory, and only those (issue #7): on a
 * 2-broker cluster whose followers park each fetch for replica.fetch.wait.max.ms=15000, acks=all produces
 * to an RF=2 topic with min.insync.replicas=2 are answered well within their 5 s timeout (without the wake
 * each waits for the parked fetch to expire); and a consumer fetch parked at the high watermark is not
 * answered by an append the ISR does not have yet (it would come back empty), but by the high watermark
 * moving, with the record.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { FetchRequest, FetchResponse } from '../../../src/protocol/messages/fetch.js'
import type { ProduceRequest, ProduceResponse } from '../../../src/protocol/messages/produce.js'
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { batchOf, rawMetadata } from '../support/raw-requests.js'
import { partitionOf, startCluster, waitFor } from './cluster-kit.js'

const TOPIC = 'wakeup'
const FETCH_WAIT_MS = 15_000
// A parked follower is caught up when its fetch returns: the lag limit must exceed the park time.
const OVERRIDES = [`replica.fetch.wait.max.ms=${FETCH_WAIT_MS}`, 'replica.lag.time.max.ms=40000']

async function produce(port: number, acks: number, value: string) {
  const client = await RawKafkaClient.connect(port)
  try {
    const body: ProduceRequest = {
      transactionalId: null,
      acks,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: await batchOf([value]) }] }]
    }
    client.send({ requestApiKey: 0, requestApiVersion: 9, correlationId: 1, clientId: 'wakeup-test' }, body)
    const response = await client.nextResponse<ProduceResponse>(0, 9, 20_000)
    return response.body.responses[0]!.partitionResponses[0]!
  } finally {
    client.close()
  }
}

function values(records: Buffer | null | undefined): Promise<string[]> {
  return (async () => {
    const out: string[] = []
    if (!records) return out
    for (let pos = 0; pos + 12 <= records.length; ) {
      const batch = await decodeRecordBatch(records, pos)
      for (const r of batch.records) out.push(r.value?.toString() ?? '')
      pos += records.readInt32BE(pos + 8) + 12
    }
    return out
  })()
}

describe('fetch purgatory wake-ups on leader appends', async () => {
  const skip = await ensureEtcd()
  const opts = { skip: skip ?? false }
  let dir = ''
  let state: ClusterState | undefined
  const portOf = (nodeId: number) => state!.brokers.find((b) => b.nodeId === nodeId)!.port
  const pidOf = (nodeId: number) => state!.brokers.find((b) => b.nodeId === nodeId)!.pid

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-fetch-wakeup-'))
    state = await startCluster(dir, 2, OVERRIDES)
    // Both brokers must be registered (unfenced) before an RF=2 topic can be placed.
    await waitFor('both brokers registered', 30_000, async () =>
      (await rawMetadata(state!.brokers[0]!.port, [], false)).brokers.length === 2 ? true : undefined
    )
    const admin = new kafkajs.Kafka({
      brokers: state.bootstrap.split(','),
      logLevel: kafkajs.logLevel.NOTHING
    }).admin()
    await admin.connect()
    try {
      await admin.createTopics({
        topics: [
          {
            topic: TOPIC,
            numPartitions: 1,
            replicationFactor: 2,
            configEntries: [{ name: 'min.insync.replicas', value: '2' }]
          }
        ],
        waitForLeaders: true
      })
    } finally {
      await admin.disconnect()
    }
    await waitFor('both replicas in the ISR', 20_000, async () =>
      (await partitionOf(state!.bootstrap, TOPIC)).isrs.length === 2 ? true : undefined
    )
  })

  after(async () => {
    if (skip || !dir) return
    for (const b of state?.brokers ?? []) {
      try {
        process.kill(b.pid, 'SIGCONT')
      } catch {}
    }
    await runCli(['cluster', 'stop', '--dir', dir], 60_000).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
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
        const fetch: FetchRequest = {
          replicaId: -1,
          maxWaitMs: 30_000,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: TOPIC,
              partitions: [
                {
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: 5n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 20
                }
              ]
            }
          ],
          forgottenTopicsData: [],
          rackId: ''
        }
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
