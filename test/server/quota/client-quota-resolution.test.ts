import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ClientQuotaEntity, clientQuotaEntityKey } from '../../../src/cluster/metadata-store.js'
import { resolveClientQuota } from '../../../src/server/quota/client-quota-resolution.js'

const D = null
/** Quota values by entity, as the manager indexes them. */
function values(...entries: [ClientQuotaEntity, number][]): Map<string, number> {
  return new Map(entries.map(([e, v]) => [clientQuotaEntityKey(e), v]))
}

describe("client quota resolution (Kafka's 8 levels)", () => {
  const all: [ClientQuotaEntity, number][] = [
    [{ user: 'alice', 'client-id': 'app' }, 1],
    [{ user: 'alice', 'client-id': D }, 2],
    [{ user: 'alice' }, 3],
    [{ user: D, 'client-id': 'app' }, 4],
    [{ user: D, 'client-id': D }, 5],
    [{ user: D }, 6],
    [{ 'client-id': 'app' }, 7],
    [{ 'client-id': D }, 8]
  ]

  it('takes each level only when every level above it is absent', () => {
    for (let level = 1; level <= 8; level++) {
      const configured = values(...all.slice(level - 1))
      assert.equal(resolveClientQuota(configured, 'alice', 'app')?.limit, level, `level ${level}`)
    }
  })

  it('user + client-id beats user, user beats client-id, and defaults come after named entities', () => {
    const configured = values(
      [{ user: 'alice', 'client-id': 'app' }, 100],
      [{ user: 'alice' }, 200],
      [{ 'client-id': 'app' }, 300],
      [{ 'client-id': D }, 400],
      [{ user: D }, 500]
    )
    assert.equal(resolveClientQuota(configured, 'alice', 'app')?.limit, 100)
    assert.equal(resolveClientQuota(configured, 'alice', 'other')?.limit, 200)
    // Any user falls to <default> user before a client-id entity.
    assert.equal(resolveClientQuota(configured, 'bob', 'app')?.limit, 500)
    const noUserDefault = values([{ 'client-id': 'app' }, 300], [{ 'client-id': D }, 400])
    assert.equal(resolveClientQuota(noUserDefault, 'bob', 'app')?.limit, 300)
    assert.equal(resolveClientQuota(noUserDefault, 'bob', 'x')?.limit, 400)
    assert.equal(resolveClientQuota(values([{ user: 'carol' }, 1]), 'bob', 'x'), null)
  })

  it('shares a user-only quota across client ids, and gives each client id its own <default> quota', () => {
    const userOnly = values([{ user: 'alice' }, 10])
    assert.equal(
      resolveClientQuota(userOnly, 'alice', 'a')?.sensorKey,
      resolveClientQuota(userOnly, 'alice', 'b')?.sensorKey
    )
    const clientDefault = values([{ 'client-id': D }, 10])
    assert.notEqual(
      resolveClientQuota(clientDefault, 'alice', 'a')?.sensorKey,
      resolveClientQuota(clientDefault, 'alice', 'b')?.sensorKey
    )
    // A client-id quota is shared by every user of that client id.
    assert.equal(
      resolveClientQuota(clientDefault, 'alice', 'a')?.sensorKey,
      resolveClientQuota(clientDefault, 'bob', 'a')?.sensorKey
    )
  })
})
