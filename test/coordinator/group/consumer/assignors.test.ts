import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { Assignment } from '../../../../src/coordinator/group/consumer/assignment.js'
import type { GroupSpec } from '../../../../src/coordinator/group/consumer/partition-assignor.js'
import { RangeAssignor } from '../../../../src/coordinator/group/consumer/range-assignor.js'
import { UniformAssignor } from '../../../../src/coordinator/group/consumer/uniform-assignor.js'

/** Topic ids t0..tn with their partition counts, members m0..mk each with a subset of topics. */
const groupArb = (homogeneous: boolean) =>
  fc
    .record({
      partitions: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }),
      members: fc.integer({ min: 1, max: 9 }),
      seed: fc.array(fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), { minLength: 9, maxLength: 9 })
    })
    .map(({ partitions, members, seed }) => {
      const topics = new Map(partitions.map((n, i) => [`t${i}`, n] as const))
      const spec = new Map<
        string,
        { subscribedTopicIds: Set<string>; rackId: null; assignment: Assignment }
      >()
      for (let m = 0; m < members; m++) {
        const ids = new Set(
          [...topics.keys()].filter((_, i) => homogeneous || (seed[m]?.[i] ?? false) || i === m % topics.size)
        )
        spec.set(`m${m}`, { subscribedTopicIds: ids, rackId: null, assignment: new Map() })
      }
      return { topics, group: { members: spec } as GroupSpec }
    })

function owners(result: Map<string, Assignment>): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [member, a] of result) {
    for (const [t, ps] of a) {
      for (const p of ps) {
        const key = `${t}-${p}`
        out.set(key, [...(out.get(key) ?? []), member])
      }
    }
  }
  return out
}

function checkExactlyOnce(group: GroupSpec, topics: Map<string, number>, result: Map<string, Assignment>) {
  const own = owners(result)
  for (const [t, n] of topics) {
    const subscribed = [...group.members.values()].some((m) => m.subscribedTopicIds.has(t))
    for (let p = 0; p < n; p++) {
      const o = own.get(`${t}-${p}`) ?? []
      assert.equal(o.length, subscribed ? 1 : 0, `${t}-${p} owned by ${o}`)
      const owner = o[0]
      if (owner !== undefined) assert.ok(group.members.get(owner)?.subscribedTopicIds.has(t))
    }
  }
  let total = 0
  for (const a of result.values()) for (const ps of a.values()) total += ps.size
  assert.equal(total, own.size)
}

const load = (a: Assignment | undefined) => [...(a?.values() ?? [])].reduce((n, ps) => n + ps.size, 0)

for (const assignor of [new UniformAssignor(), new RangeAssignor()]) {
  describe(`${assignor.name} assignor`, () => {
    it('assigns every subscribed partition exactly once, to a subscriber', () => {
      fc.assert(
        fc.property(groupArb(false), ({ group, topics }) => {
          checkExactlyOnce(group, topics, assignor.assign(group, topics))
        }),
        { numRuns: 300 }
      )
    })
  })
}

describe('uniform assignor', () => {
  const uniform = new UniformAssignor()

  it('balances identical subscriptions within one partition', () => {
    fc.assert(
      fc.property(groupArb(true), ({ group, topics }) => {
        const result = uniform.assign(group, topics)
        const loads = [...group.members.keys()].map((m) => load(result.get(m)))
        assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`)
      }),
      { numRuns: 300 }
    )
  })

  it('is sticky: a new member takes only what balance requires, from the others', () => {
    fc.assert(
      fc.property(groupArb(true), ({ group, topics }) => {
        const first = uniform.assign(group, topics)
        const members = new Map(
          [...group.members].map(([id, m]) => [id, { ...m, assignment: first.get(id) ?? new Map() }])
        )
        const subscribed = [...topics.keys()]
        members.set('zz-new', {
          subscribedTopicIds: new Set(subscribed),
          rackId: null,
          assignment: new Map()
        })
        const second = uniform.assign({ members }, topics)
        checkExactlyOnce({ members }, topics, second)
        let moved = 0
        for (const [id, a] of first) {
          for (const [t, ps] of a) for (const p of ps) if (second.get(id)?.get(t)?.has(p) !== true) moved++
        }
        // Everything that moved went to the new member, and no more than its fair share.
        assert.equal(moved, load(second.get('zz-new')))
        const total = [...topics.values()].reduce((a, b) => a + b, 0)
        assert.ok(moved <= Math.ceil(total / members.size), `moved ${moved} of ${total}`)
      }),
      { numRuns: 200 }
    )
  })

  it('balances different subscriptions as far as eligibility allows', () => {
    // m0 reads t0 and t1, m1 only t1: m1 should get t1 while m0 keeps t0.
    const topics = new Map([
      ['t0', 4],
      ['t1', 4]
    ])
    const members = new Map([
      ['m0', { subscribedTopicIds: new Set(['t0', 't1']), rackId: null, assignment: new Map() }],
      ['m1', { subscribedTopicIds: new Set(['t1']), rackId: null, assignment: new Map() }]
    ])
    const result = uniform.assign({ members }, topics)
    assert.equal(load(result.get('m0')), 4)
    assert.equal(load(result.get('m1')), 4)
    assert.deepEqual([...(result.get('m1')?.get('t1') ?? [])].sort(), [0, 1, 2, 3])
  })
})

describe('range assignor', () => {
  it('gives contiguous ranges, the first members one more', () => {
    const members = new Map(
      ['a', 'b', 'c'].map((id) => [
        id,
        { subscribedTopicIds: new Set(['t']), rackId: null, assignment: new Map() }
      ])
    )
    const result = new RangeAssignor().assign({ members }, new Map([['t', 7]]))
    assert.deepEqual([...(result.get('a')?.get('t') ?? [])], [0, 1, 2])
    assert.deepEqual([...(result.get('b')?.get('t') ?? [])], [3, 4])
    assert.deepEqual([...(result.get('c')?.get('t') ?? [])], [5, 6])
  })
})
