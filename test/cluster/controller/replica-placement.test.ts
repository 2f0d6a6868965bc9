import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  assignReplicasToBrokers,
  type PlacementBroker,
  PlacementError,
  rackAlternatedBrokerList
} from '../../../src/cluster/controller/replica-placement.js'

const racked = (map: Record<number, string>): PlacementBroker[] =>
  Object.entries(map).map(([id, rack]) => ({ nodeId: Number(id), rack }))

test('the rack-alternated list interleaves sorted racks', () => {
  const brokers = racked({ 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' })
  assert.deepEqual(rackAlternatedBrokerList(brokers), [0, 3, 1, 5, 4, 2])
})

test('rack-aware placement walks the alternated list, then shifts followers after a full round', () => {
  const brokers = racked({ 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' })
  const placed = assignReplicasToBrokers(brokers, 7, 3, { fixedStartIndex: 0 })
  assert.deepEqual(placed, [
    [0, 3, 1],
    [3, 1, 5],
    [1, 5, 4],
    [5, 4, 2],
    [4, 2, 0],
    [2, 0, 3],
    [0, 4, 2]
  ])
})

test('rack-unaware placement: leaders round-robin, followers shifted', () => {
  const brokers = [0, 1, 2, 3, 4].map((nodeId) => ({ nodeId, rack: null }))
  const placed = assignReplicasToBrokers(brokers, 10, 3, { fixedStartIndex: 0 })
  assert.deepEqual(
    placed.map((r) => r[0]),
    [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
  )
  assert.deepEqual(placed[0], [0, 1, 2])
  assert.deepEqual(placed[5], [0, 2, 3])
})

test('invalid counts are rejected with the Kafka error to answer', () => {
  const one = [{ nodeId: 1, rack: null }]
  const reason = (f: () => unknown): string => {
    try {
      f()
    } catch (err) {
      assert.ok(err instanceof PlacementError)
      return err.reason
    }
    assert.fail('expected a PlacementError')
  }
  assert.equal(
    reason(() => assignReplicasToBrokers(one, 0, 1)),
    'INVALID_PARTITIONS'
  )
  assert.equal(
    reason(() => assignReplicasToBrokers(one, 1, 0)),
    'INVALID_REPLICATION_FACTOR'
  )
  assert.equal(
    reason(() => assignReplicasToBrokers(one, 1, 2)),
    'INVALID_REPLICATION_FACTOR'
  )
})

/** A cluster: distinct node ids, each with a rack from a small set (or none), plus an RF that fits. */
const cluster = (rackMode: 'none' | 'all' | 'mixed') =>
  fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 24 }).chain((ids) =>
    fc.record({
      brokers: fc.tuple(
        ...ids.map((nodeId) =>
          (rackMode === 'none'
            ? fc.constant(null)
            : rackMode === 'all'
              ? fc.constantFrom('a', 'b', 'c', 'd', 'e')
              : fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null })
          ).map((rack): PlacementBroker => ({ nodeId, rack }))
        )
      ),
      rf: fc.integer({ min: 1, max: ids.length }),
      partitions: fc.integer({ min: 1, max: 120 }),
      seeds: fc.array(fc.nat(), { minLength: 2, maxLength: 2 })
    })
  )

function seeded(seeds: readonly number[]): (bound: number) => number {
  let i = 0
  return (bound) => (seeds[i++ % seeds.length] ?? 0) % bound
}

function rackGroup(b: PlacementBroker | undefined): string {
  return b?.rack === null || b === undefined ? '<none>' : `r:${b.rack}`
}

for (const mode of ['none', 'all', 'mixed'] as const) {
  test(`property (${mode} racks): every partition gets RF distinct known brokers`, () => {
    fc.assert(
      fc.property(cluster(mode), ({ brokers, rf, partitions, seeds }) => {
        const ids = new Set(brokers.map((b) => b.nodeId))
        const placed = assignReplicasToBrokers(brokers, partitions, rf, { randomInt: seeded(seeds) })
        assert.equal(placed.length, partitions)
        for (const replicas of placed) {
          assert.equal(replicas.length, rf)
          assert.equal(new Set(replicas).size, rf)
          for (const r of replicas) assert.ok(ids.has(r))
        }
      })
    )
  })

  test(`property (${mode} racks): replicas spread over min(RF, racks) racks`, () => {
    fc.assert(
      fc.property(cluster(mode), ({ brokers, rf, partitions, seeds }) => {
        const byId = new Map(brokers.map((b) => [b.nodeId, b]))
        const racks = new Set(brokers.map(rackGroup)).size
        const placed = assignReplicasToBrokers(brokers, partitions, rf, { randomInt: seeded(seeds) })
        for (const replicas of placed) {
          const used = new Set(replicas.map((r) => rackGroup(byId.get(r))))
          assert.equal(used.size, Math.min(rf, racks))
        }
      })
    )
  })

  test(`property (${mode} racks): leaders are spread evenly (counts differ by at most one)`, () => {
    fc.assert(
      fc.property(cluster(mode), ({ brokers, rf, partitions, seeds }) => {
        const placed = assignReplicasToBrokers(brokers, partitions, rf, { randomInt: seeded(seeds) })
        const leaders = new Map(brokers.map((b) => [b.nodeId, 0]))
        for (const replicas of placed) leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1)
        const counts = [...leaders.values()]
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, JSON.stringify(counts))
      })
    )
  })
}

test('property (no racks): whole rounds of partitions give every broker the same number of replicas', () => {
  fc.assert(
    fc.property(cluster('none'), fc.integer({ min: 1, max: 5 }), ({ brokers, rf, seeds }, rounds) => {
      const partitions = brokers.length * rounds
      const placed = assignReplicasToBrokers(brokers, partitions, rf, { randomInt: seeded(seeds) })
      const load = new Map(brokers.map((b) => [b.nodeId, 0]))
      for (const replicas of placed) for (const r of replicas) load.set(r, (load.get(r) ?? 0) + 1)
      for (const count of load.values()) assert.equal(count, rounds * rf)
    })
  )
})

test('adding partitions continues the round-robin where a fixed start index says', () => {
  const brokers = [1, 2, 3].map((nodeId) => ({ nodeId, rack: null }))
  const first = assignReplicasToBrokers(brokers, 3, 2, { fixedStartIndex: 1 })
  const more = assignReplicasToBrokers(brokers, 3, 2, { fixedStartIndex: 1, startPartitionId: 3 })
  assert.deepEqual(
    first.map((r) => r[0]),
    [2, 3, 1]
  )
  assert.deepEqual(
    more.map((r) => r[0]),
    [2, 3, 1]
  )
})
