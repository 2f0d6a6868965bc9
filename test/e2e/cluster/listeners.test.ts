/**
 * Two brokers on etcd with different listeners: broker 1 has PLAINTEXT and EXTERNAL, broker 2 PLAINTEXT only.
 * Each client is answered with the endpoints of the listener it connected on, as Kafka does: Metadata and
 * DescribeCluster leave broker 2 out on EXTERNAL (its partitions have no leader there), and FindCoordinator
 * answers COORDINATOR_NOT_AVAILABLE for a group broker 2 coordinates.
 */

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type { DescribeClusterResponse } from '../../../src/protocol/messages/describe-cluster.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { EtcdProcess, ensureEtcd } from '../../helpers/etcd-process.js'
import { rawCreateTopics, rawMetadata } from '../support/raw-requests.js'
import { findCoordinator, freePortRange, roundTrip, waitFor } from './cluster-kit.js'

describe('listeners in a cluster', async () => {
  const skip = await ensureEtcd()
  let etcd: EtcdProcess | undefined
  const brokers: BrokerProcess[] = []
  let base = 0
  const plaintext1 = () => base
  const external1 = () => base + 1
  const plaintext2 = () => base + 2

  before(async () => {
    if (skip) return
    etcd = await EtcdProcess.start()
    base = await freePortRange(3)
    const common = [
      'metadata.store=etcd',
      `etcd.endpoints=${etcd.endpoint}`,
      `etcd.cluster.name=listeners-${base}`,
      'broker.session.timeout.ms=3000',
      'offsets.topic.num.partitions=4',
      'offsets.topic.replication.factor=1'
    ]
    brokers.push(
      await BrokerProcess.start({
        overrides: [
          ...common,
          'node.id=1',
          `listeners=PLAINTEXT://127.0.0.1:${plaintext1()},EXTERNAL://127.0.0.1:${external1()}`,
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT',
          'inter.broker.listener.name=PLAINTEXT'
        ]
      }),
      await BrokerProcess.start({
        overrides: [...common, 'node.id=2', `listeners=PLAINTEXT://127.0.0.1:${plaintext2()}`]
      })
    )
    await waitFor('both brokers registered', 20_000, async () =>
      (await rawMetadata(plaintext1(), [], false)).brokers.length === 2 ? true : undefined
    )
  })
  after(async () => {
    for (const b of brokers) await b.stop()
    await etcd?.stop()
  })

  it('answers Metadata and DescribeCluster with the endpoints of the listener the client connected on', {
    skip: skip ?? false
  }, async () => {
    const endpoints = async (port: number) =>
      (await rawMetadata(port, [], false)).brokers.map((b) => [b.nodeId, b.port]).sort()
    assert.deepEqual(await endpoints(plaintext1()), [
      [1, plaintext1()],
      [2, plaintext2()]
    ])
    assert.deepEqual(await endpoints(plaintext2()), [
      [1, plaintext1()],
      [2, plaintext2()]
    ])
    assert.deepEqual(await endpoints(external1()), [[1, external1()]])
    const described = await roundTrip<DescribeClusterResponse>(external1(), 60, 0, {
      includeClusterAuthorizedOperations: false
    })
    assert.deepEqual(
      described.brokers.map((b) => [b.brokerId, b.port]),
      [[1, external1()]]
    )
  })

  it('gives no leader on a listener the leading broker lacks', { skip: skip ?? false }, async () => {
    const [created] = await rawCreateTopics(plaintext1(), [
      { name: 'spread', numPartitions: 4, replicationFactor: 1 }
    ])
    assert.equal(created?.errorCode, ErrorCode.NONE)
    const leaders = await waitFor('leaders on both brokers', 20_000, async () => {
      const p = (await rawMetadata(plaintext1(), ['spread'], false)).topics[0]?.partitions ?? []
      const ids = p.map((x) => x.leaderId)
      return p.length === 4 && ids.includes(1) && ids.includes(2) ? p : undefined
    })
    const external = (await rawMetadata(external1(), ['spread'], false)).topics[0]!.partitions
    for (const p of leaders) {
      const seen = external.find((x) => x.partitionIndex === p.partitionIndex)!
      const expected = p.leaderId === 2 ? [ErrorCode.LEADER_NOT_AVAILABLE, -1] : [ErrorCode.NONE, 1]
      assert.deepEqual([seen.errorCode, seen.leaderId], expected, `partition ${p.partitionIndex}`)
    }
  })

  it('answers FindCoordinator on the client listener, COORDINATOR_NOT_AVAILABLE where the coordinator lacks it', {
    skip: skip ?? false
  }, async () => {
    const byCoordinator = new Map<number, string>()
    for (let i = 0; i < 40 && byCoordinator.size < 2; i++) {
      const group = `group-${i}`
      const found = await waitFor(`coordinator of ${group}`, 20_000, async () => {
        const r = await findCoordinator(plaintext1(), group)
        return r.errorCode === ErrorCode.NONE ? r : undefined
      })
      assert.equal(found.port, found.nodeId === 1 ? plaintext1() : plaintext2())
      if (!byCoordinator.has(found.nodeId)) byCoordinator.set(found.nodeId, group)
    }
    assert.equal(byCoordinator.size, 2, 'both brokers coordinate some group')
    const onExternal1 = await findCoordinator(external1(), byCoordinator.get(1)!)
    assert.deepEqual(
      [onExternal1.errorCode, onExternal1.nodeId, onExternal1.port],
      [ErrorCode.NONE, 1, external1()]
    )
    const onExternal2 = await findCoordinator(external1(), byCoordinator.get(2)!)
    assert.equal(onExternal2.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  })
})
