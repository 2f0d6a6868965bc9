import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { EtcdMetadataStore } from '../../../src/cluster/etcd/etcd-metadata-store.js'
import { randomUuid } from '../../../src/cluster/kafka-uuid.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import { EtcdProcess, ensureEtcd } from '../../helpers/etcd-process.js'
import { rejectsWith, StoreProcess, waitFor } from './etcd-store-kit.js'

const LEASE_TTL_SECONDS = 2

const skip = await ensureEtcd()
if (skip) console.log(`skipping the etcd controller election tests: ${skip}`)
const opts = { skip }

let etcd: EtcdProcess
const stores: EtcdMetadataStore[] = []
const children: StoreProcess[] = []
before(async () => {
  if (!skip) etcd = await EtcdProcess.start()
})
after(async () => {
  await Promise.all(children.map((c) => c.kill()))
  await Promise.all(stores.map((s) => s.close()))
  await etcd?.stop()
})

async function openStore(clusterName: string, nodeId: number): Promise<EtcdMetadataStore> {
  const store = await EtcdMetadataStore.open({
    endpoints: [etcd.endpoint],
    clusterName,
    nodeId,
    leaseTtlSeconds: LEASE_TTL_SECONDS
  })
  stores.push(store)
  return store
}

test('candidates racing for the controller: exactly one wins, and all agree on who', opts, async () => {
  const contenders = await Promise.all([1, 2, 3].map((id) => openStore('race', id)))
  await waitFor(
    () => contenders.every((s) => s.election.controllerId !== -1),
    5000,
    'every candidate to see a controller'
  )
  const winners = contenders.filter((s) => s.election.isController)
  assert.equal(winners.length, 1)
  const winnerId = [1, 2, 3][contenders.indexOf(winners[0]!)]
  for (const s of contenders) {
    assert.equal(s.election.controllerId, winnerId)
    assert.equal(s.election.controllerEpoch, 1)
  }
  // A loser's controller writes are refused; the winner's go through.
  const loser = contenders.find((s) => !s.election.isController)!
  const topic = {
    name: 't',
    topicId: randomUuid(),
    partitions: [{ replicas: [1], isr: [1], leader: 1 }],
    configs: {}
  }
  await assert.rejects(loser.createTopic(topic), rejectsWith(ErrorCode.NOT_CONTROLLER))
  await winners[0]!.createTopic(topic)
})

test('a clean shutdown hands the controllership over at once, with a higher epoch', opts, async () => {
  const a = await openStore('handover', 1)
  await waitFor(() => a.election.isController, 5000, 'the first candidate to lead')
  const b = await openStore('handover', 2)
  const changes: [boolean, number][] = []
  b.election.onLeadershipChange((isController, epoch) => changes.push([isController, epoch]))
  assert.equal(b.election.isController, false)
  const epoch = a.election.controllerEpoch
  const closedAt = Date.now()
  await a.close()
  await waitFor(() => b.election.isController, 3000, 'the other candidate to take over')
  assert.ok(
    Date.now() - closedAt < LEASE_TTL_SECONDS * 1000,
    'resigning does not wait for the lease to expire'
  )
  assert.deepEqual(changes, [[true, epoch + 1]])
  assert.equal(b.election.controllerEpoch, epoch + 1)
})

test(
  'after SIGKILL of the controller process the other candidate takes over within the lease TTL',
  opts,
  async () => {
    const child = await StoreProcess.start(etcd.endpoint, 'failover', 1, LEASE_TTL_SECONDS)
    children.push(child)
    await waitFor(() => child.status.isController, 5000, 'the child process to lead')
    const survivor = await openStore('failover', 2)
    await waitFor(() => survivor.election.controllerId === 1, 5000, 'the survivor to see the child lead')
    assert.equal(survivor.election.isController, false)
    const deposedEpoch = survivor.election.controllerEpoch
    const gained: number[] = []
    survivor.election.onLeadershipChange((isController, epoch) => {
      if (isController) gained.push(epoch)
    })
    const killedAt = Date.now()
    await child.kill()
    await waitFor(
      () => survivor.election.isController,
      (LEASE_TTL_SECONDS + 4) * 1000,
      'the survivor to take over'
    )
    const failoverMs = Date.now() - killedAt
    console.log(
      `controller failover: ${failoverMs} ms from SIGKILL to new controller (lease TTL ${LEASE_TTL_SECONDS} s)`
    )
    assert.ok(
      failoverMs >= 1000,
      `took over after ${failoverMs} ms, before the dead controller's lease could expire`
    )
    assert.deepEqual(gained, [deposedEpoch + 1])
    assert.equal(survivor.election.controllerId, 2)
    // The new controller writes under its epoch.
    await survivor.createTopic({
      name: 'after-failover',
      topicId: randomUuid(),
      partitions: [{ replicas: [2], isr: [2], leader: 2 }],
      configs: {}
    })
  }
)
