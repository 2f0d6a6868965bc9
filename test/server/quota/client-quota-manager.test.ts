import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ClientQuotaManager } from '../../../src/server/quota/client-quota-manager.js'
import { SampledRate, throttleTimeMs } from '../../../src/server/quota/sampled-rate.js'

const WINDOW = { samples: 11, windowMs: 1000 }

describe('SampledRate', () => {
  it('divides by at least samples - 1 windows, then by the time the samples span', () => {
    const rate = new SampledRate(WINDOW, 0)
    rate.record(1000, 0)
    assert.equal(rate.windowSizeMs(500), 10_500)
    assert.equal(rate.rate(0), 100)
    for (let t = 1000; t <= 20_000; t += 1000) rate.record(1000, t)
    // 11 samples of 1000 spanning 10 s and 500 ms: the oldest windows expired.
    assert.equal(Math.round(rate.rate(20_500)), Math.round(11_000 / 10.5))
  })

  it("asks for the excess as a fraction of the quota of the window (Kafka's QuotaUtils)", () => {
    const rate = new SampledRate(WINDOW, 0)
    rate.record(20_000, 0)
    // 2000/s observed against 1000/s over 10 s: wait 10 s.
    assert.equal(throttleTimeMs(rate, 1000, 0, Number.MAX_SAFE_INTEGER), 10_000)
    assert.equal(throttleTimeMs(rate, 1000, 0, 1000), 1000)
    assert.equal(throttleTimeMs(rate, 5000, 0, Number.MAX_SAFE_INTEGER), 0)
  })
})

describe('ClientQuotaManager', () => {
  it('is disabled until a quota of its type is configured, and throttles only the entity that has one', () => {
    let now = 0
    const m = new ClientQuotaManager('producer_byte_rate', WINDOW, () => now)
    assert.equal(m.enabled, false)
    m.update([
      { entity: { user: 'alice' }, values: { producer_byte_rate: 1000, consumer_byte_rate: 5 } },
      { entity: { 'client-id': 'x' }, values: { consumer_byte_rate: 7 } }
    ])
    assert.equal(m.enabled, true)
    assert.equal(m.recordAndGetThrottleTimeMs('bob', 'x', 1_000_000), 0)
    assert.equal(m.recordAndGetThrottleTimeMs('alice', 'x', 5000), 0)
    now = 100
    assert.ok(m.recordAndGetThrottleTimeMs('alice', 'y', 10_000) > 0, 'alice is over 1000 B/s')
    m.update([])
    assert.equal(m.enabled, false)
    assert.equal(m.recordAndGetThrottleTimeMs('alice', 'y', 10_000), 0)
  })

  it('bounds request-time throttles to one window', () => {
    const m = new ClientQuotaManager('request_percentage', WINDOW, () => 0)
    m.update([{ entity: { user: null }, values: { request_percentage: 1 } }])
    assert.equal(m.recordAndGetThrottleTimeMs('a', 'b', 1_000_000), 1000)
  })

  it('strict check (KIP-599): no throttle until the rate is already over the quota', () => {
    let now = 0
    const m = new ClientQuotaManager('controller_mutation_rate', WINDOW, () => now)
    m.update([{ entity: { user: 'alice' }, values: { controller_mutation_rate: 1 } }])
    assert.equal(m.throttleTimeIfExceeded('alice', 'c'), 0)
    m.record('alice', 'c', 50)
    now = 10
    assert.ok(m.throttleTimeIfExceeded('alice', 'c') > 0)
    assert.equal(m.throttleTimeIfExceeded('bob', 'c'), 0)
  })
})
