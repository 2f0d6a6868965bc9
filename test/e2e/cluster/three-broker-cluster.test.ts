/**
 * A 3-broker cluster on real etcd, started and stopped with `samsa cluster start|stop`: kcat sees 3 brokers
 * and the controller, kafkajs creates a 6-partition topic whose leaders spread over the brokers (one rack
 * each), kcat produces to and consumes from every partition through its leader, non-controllers forward
 * CreateTopics (or answer NOT_CONTROLLER to a request that was forwarded already), a SIGKILLed controller is
 * replaced within the session timeout and topic creation keeps working (librdkafka's AdminClient), and
 * `cluster stop` leaves no process behind.
 */

import assert from 'node:assert/strict'
import { access, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type ClusterState, isAlive } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { AlterConfigsResponse } from '../../../src/protocol/messages/alter-configs.js'
import type { CreateTopicsResponse } from '../../../src/protocol/messages/create-topics.js'
import type { DescribeConfigsResponse } from '../../../src/protocol/messages/describe-configs.js'
import type { IncrementalAlterConfigsResponse } from '../../../src/protocol/messages/incremental-alter-configs.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { PYTHON } from '../support/confluent.js'
import { kcatConsume, kcatProduce } from '../support/kcat.js'
import { rawCreateTopics } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'
import { createTopics, launchCluster, metadataOf, roundTrip, stopCluster, waitFor } from './cluster-kit.js'

const SESSION_TIMEOUT_MS = 3000

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false
  )
}

describe('samsa cluster: 3 brokers on etcd', async () => {
  const skip = await ensureEtcd()
  let dir = ''
  let state: ClusterState | undefined

  before(async () => {
    if (skip) return
    dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-'))
    const started = await launchCluster(dir, {
      brokers: 3,
      racks: ['a', 'b', 'c'],
      overrides: [`broker.session.timeout.ms=${SESSION_TIMEOUT_MS}`]
    })
    state = started.state
    const [bootstrapLine, ...adminLines] = started.stdout.trim().split('\n')
    assert.equal(bootstrapLine, state.bootstrap)
    // Each broker's admin listener, on its own port, as cluster.json records it.
    assert.deepEqual(
      adminLines,
      state.brokers.map((b) => `broker ${b.nodeId} admin: ${b.adminUrl}`)
    )
    assert.equal(new Set(state.brokers.map((b) => b.adminUrl)).size, state.brokers.length)
  })

  after(async () => {
    if (skip) return
    await stopCluster(dir, state)
  })

  it('lists 3 brokers and the controller (kcat -L)', { skip }, async () => {
    const md = await metadataOf(state!.bootstrap)
    assert.deepEqual(md.brokers.map((b) => b.id).sort(), [1, 2, 3], 'every broker is registered and live')
    assert.ok([1, 2, 3].includes(md.controllerid), `controller ${md.controllerid}`)
    // Every broker names the same controller.
    for (const b of state!.brokers) {
      assert.equal((await metadataOf(`127.0.0.1:${b.port}`)).controllerid, md.controllerid)
    }
  })

  it('spreads the leaders of a 6-partition topic over the 3 racks; kcat produces and consumes through them', {
    skip
  }, async () => {
    assert.equal(
      await createTopics(state!.bootstrap.split(',')[2]!, [
        { topic: 'spread', numPartitions: 6, replicationFactor: 1 }
      ]),
      true
    )
    const md = await metadataOf(state!.bootstrap, 'spread')
    const partitions = md.topics.find((t) => t.topic === 'spread')!.partitions
    assert.equal(partitions.length, 6)
    const perBroker = new Map<number, number>()
    for (const p of partitions) perBroker.set(p.leader, (perBroker.get(p.leader) ?? 0) + 1)
    assert.deepEqual([...perBroker.entries()].sort(), [
      [1, 2],
      [2, 2],
      [3, 2]
    ])

    // One bootstrap broker only: librdkafka must find each partition's leader itself.
    const bootstrap = `127.0.0.1:${state!.brokers[0]!.port}`
    for (const p of partitions) {
      await kcatProduce(bootstrap, 'spread', [{ key: null, value: Buffer.from(`to-${p.partition}`) }], {
        partition: p.partition
      })
    }
    for (const p of partitions) {
      const consumed = await kcatConsume(bootstrap, 'spread', { partition: p.partition })
      assert.deepEqual(
        consumed.map((r) => r.value?.toString()),
        [`to-${p.partition}`]
      )
      // The data lives on the leader's disk, and only there.
      for (const b of state!.brokers) {
        assert.equal(await exists(join(b.logDir, `spread-${p.partition}`)), b.nodeId === p.leader)
      }
    }
  })

  it('non-controllers forward CreateTopics; a request forwarded once gets NOT_CONTROLLER', {
    skip
  }, async () => {
    const controller = (await metadataOf(state!.bootstrap)).controllerid
    const other = state!.brokers.find((b) => b.nodeId !== controller)!
    const [created] = await rawCreateTopics(other.port, [
      { name: 'forwarded', numPartitions: 3, replicationFactor: 1 }
    ])
    assert.equal(created?.errorCode, ErrorCode.NONE, created?.errorMessage ?? '')
    assert.equal(created?.numPartitions, 3)

    const client = await RawKafkaClient.connect(other.port)
    try {
      client.send(
        { requestApiKey: 19, requestApiVersion: 7, correlationId: 7, clientId: 'samsa-forwarded-by-99' },
        {
          topics: [
            { name: 'not-again', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }
          ],
          timeoutMs: 5000,
          validateOnly: false
        }
      )
      const response = await client.nextResponse<CreateTopicsResponse>(19, 7, 10_000)
      assert.equal(response.body.topics[0]?.errorCode, ErrorCode.NOT_CONTROLLER)
    } finally {
      client.close()
    }
  })

  it('non-controllers forward AlterConfigs and IncrementalAlterConfigs; forwarded once, every resource gets NOT_CONTROLLER', {
    skip
  }, async () => {
    const controller = (await metadataOf(state!.bootstrap)).controllerid
    const other = state!.brokers.find((b) => b.nodeId !== controller)!
    const retention = (value: string) => [
      { resourceType: 2, resourceName: 'forwarded', configs: [{ name: 'retention.ms', value }] }
    ]
    const altered = await roundTrip<AlterConfigsResponse>(other.port, 33, 1, {
      resources: retention('1000'),
      validateOnly: false
    })
    assert.deepEqual(
      altered.responses.map((r) => r.errorCode),
      [ErrorCode.NONE]
    )
    const incremental = await roundTrip<IncrementalAlterConfigsResponse>(other.port, 44, 1, {
      resources: [
        {
          resourceType: 2,
          resourceName: 'forwarded',
          configs: [{ name: 'retention.ms', configOperation: 0, value: '2000' }]
        }
      ],
      validateOnly: false
    })
    assert.deepEqual(
      incremental.responses.map((r) => r.errorCode),
      [ErrorCode.NONE]
    )
    const described = await roundTrip<DescribeConfigsResponse>(other.port, 32, 1, {
      resources: [{ resourceType: 2, resourceName: 'forwarded', configurationKeys: ['retention.ms'] }],
      includeSynonyms: false
    })
    assert.equal(described.results[0]?.configs[0]?.value, '2000')

    const client = await RawKafkaClient.connect(other.port)
    try {
      client.send(
        { requestApiKey: 33, requestApiVersion: 1, correlationId: 8, clientId: 'samsa-forwarded-by-99' },
        { resources: [...retention('3000'), ...retention('4000')], validateOnly: false }
      )
      const response = await client.nextResponse<AlterConfigsResponse>(33, 1, 10_000)
      assert.deepEqual(
        response.body.responses.map((r) => r.errorCode),
        [ErrorCode.NOT_CONTROLLER, ErrorCode.NOT_CONTROLLER]
      )
      assert.match(response.body.responses[0]?.errorMessage ?? '', /not the controller/)
    } finally {
      client.close()
    }
  })

  it('elects another controller when the controller is SIGKILLed, and creates topics after', {
    skip
  }, async (t) => {
    const before = (await metadataOf(state!.bootstrap)).controllerid
    const victim = state!.brokers.find((b) => b.nodeId === before)!
    const survivor = state!.brokers.find((b) => b.nodeId !== before)!
    const killedAt = Date.now()
    process.kill(victim.pid, 'SIGKILL')
    const elected = await waitFor('a new controller', 30_000, async () => {
      const md = await metadataOf(`127.0.0.1:${survivor.port}`)
      return md.controllerid !== before && md.controllerid >= 0 ? md.controllerid : undefined
    })
    const failoverMs = Date.now() - killedAt
    t.diagnostic(
      `controller ${before} -> ${elected} in ${failoverMs} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`
    )
    assert.notEqual(elected, victim.nodeId)

    // librdkafka's AdminClient sends CreateTopics to the controller it learns from Metadata.
    const script = [
      'import sys',
      'from confluent_kafka.admin import AdminClient, NewTopic',
      "a = AdminClient({'bootstrap.servers': sys.argv[1]})",
      "fs = a.create_topics([NewTopic('after-failover', num_partitions=4, replication_factor=1)], request_timeout=15)",
      "fs['after-failover'].result(timeout=20)",
      "print('created')"
    ].join('\n')
    const { stdout } = await runOk(PYTHON, ['-c', script, `127.0.0.1:${survivor.port}`], {
      timeoutMs: 40_000
    })
    assert.match(stdout.toString(), /created/)
    const md = await metadataOf(`127.0.0.1:${survivor.port}`, 'after-failover')
    const leaders = md.topics.find((t) => t.topic === 'after-failover')!.partitions.map((p) => p.leader)
    assert.equal(leaders.length, 4)
    for (const leader of leaders) assert.ok(leader !== victim.nodeId && leader > 0, `leader ${leader}`)
    // The dead broker's RF=1 partitions have no other replica: they are offline, not moved.
    const spread = (await metadataOf(`127.0.0.1:${survivor.port}`, 'spread')).topics[0]!.partitions
    assert.equal(spread.filter((p) => p.leader === -1).length, 2)
  })

  it('cluster stop ends every broker and etcd', { skip }, async () => {
    const stopped = await runCli(['cluster', 'stop', '--dir', dir], 60_000)
    assert.equal(stopped.code, 0, stopped.stderr)
    for (const p of [state!.etcd, ...state!.brokers])
      assert.equal(isAlive(p.pid), false, `pid ${p.pid} still runs`)
    assert.equal(await exists(join(dir, 'cluster.json')), false)
  })
})
