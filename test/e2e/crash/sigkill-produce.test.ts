/**
 * SIGKILL of the broker under sustained acks=all produce from librdkafka: after a restart on the same log
 * dir and port the producer carries on, and every acknowledged record is in the log at the offset it was
 * acknowledged with, in production order, and every batch decodes.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { BrokerProcess } from '../../helpers/broker-process.js'
import {
  ensureTopic,
  type PartitionContents,
  readPartition,
  startBrokerOn
} from '../../helpers/partition-client.js'
import { SequenceProducer } from '../../helpers/sequence-producer.js'

interface Outcome {
  producer: SequenceProducer
  contents: PartitionContents
  /** Record values (sequence numbers) in log order. */
  values: number[]
  duplicates: number
}

/**
 * Starts a broker, produces for ~2 s, SIGKILLs it, restarts it on the same dir and port, waits for the
 * producer to get acknowledgements again, produces a little more, stops the producer, reads the partition.
 */
async function produceThroughKill(
  t: TestContext,
  topic: string,
  producerConfig: Record<string, string | number | boolean>
): Promise<Outcome> {
  const logDir = await mkdtemp(join(tmpdir(), 'samsa-sigkill-'))
  let broker: BrokerProcess | undefined
  let producer: SequenceProducer | undefined
  try {
    broker = await startBrokerOn(logDir)
    const port = broker.port
    await ensureTopic(port, topic)
    producer = SequenceProducer.start(
      {
        'bootstrap.servers': broker.bootstrap,
        acks: 'all',
        'message.timeout.ms': 45_000,
        'linger.ms': 5,
        'retry.backoff.ms': 50,
        'reconnect.backoff.ms': 50,
        'reconnect.backoff.max.ms': 250,
        ...producerConfig
      },
      topic
    )
    const p = producer
    await p.waitUntil(() => p.acked.length >= 50, 15_000, 'first acknowledgements')
    await new Promise((r) => setTimeout(r, 2000))
    await broker.stop('SIGKILL')
    const ackedBeforeKill = p.acked.length
    t.diagnostic(`killed the broker after ${ackedBeforeKill} acknowledgements`)
    broker = await startBrokerOn(logDir, port)
    await p.waitUntil(() => p.acked.length >= ackedBeforeKill + 200, 30_000, 'acknowledgements after restart')
    await new Promise((r) => setTimeout(r, 500))
    await p.stop()
    assert.ok(p.done, `producer did not finish: ${p.describe()}`)
    t.diagnostic(`produced ${p.done.produced}, acknowledged ${p.acked.length}`)
    const contents = await readPartition(broker.port, topic, 0)
    const values = contents.records.map((r) => Number(r.value))
    const seen = new Set<number>()
    let duplicates = 0
    for (const v of values) {
      if (seen.has(v)) duplicates++
      seen.add(v)
    }
    return { producer: p, contents, values, duplicates }
  } finally {
    if (producer?.running) await producer.stop(1000)
    await broker?.stop('SIGKILL')
    await rm(logDir, { recursive: true, force: true })
  }
}

/** At-least-once and order: every ack is in the log where it was acknowledged; first occurrences ascend. */
function assertAcknowledgedInOrder(o: Outcome): void {
  const p = o.producer
  assert.deepEqual(p.failed, [], 'no delivery failed')
  assert.equal(p.done?.unflushed, 0, 'every record was delivered')
  assert.equal(p.acked.length, p.done?.produced, 'every produced record was acknowledged')
  const byOffset = new Map(o.contents.records.map((r) => [Number(r.offset), Number(r.value)]))
  for (const a of p.acked) {
    assert.equal(byOffset.get(a.offset), a.seq, `record ${a.seq} acknowledged at offset ${a.offset}`)
  }
  const firsts: number[] = []
  const seen = new Set<number>()
  for (const v of o.values) {
    if (!seen.has(v)) firsts.push(v)
    seen.add(v)
  }
  // In order and without gaps: the first occurrences are exactly 0, 1, 2, ...
  assert.equal(firsts.length, p.acked.length)
  firsts.forEach((v, i) => {
    if (v !== i) assert.fail(`log order broken at position ${i}: found ${v}`)
  })
}

describe('SIGKILL during sustained acks=all produce (librdkafka)', { timeout: 120_000 }, () => {
  it('idempotent producer: every acknowledged record exactly once, in order', {
    timeout: 60_000
  }, async (t) => {
    const o = await produceThroughKill(t, 'sigkill-idempotent', { 'enable.idempotence': true })
    assertAcknowledgedInOrder(o)
    // Retries of batches the killed broker had written are recognised from the recovered producer state.
    assert.equal(o.duplicates, 0, `${o.duplicates} duplicate records`)
  })

  it('non-idempotent producer (max.in.flight 1): at least once, in order', { timeout: 60_000 }, async (t) => {
    const o = await produceThroughKill(t, 'sigkill-plain', {
      'enable.idempotence': false,
      'max.in.flight.requests.per.connection': 1
    })
    assertAcknowledgedInOrder(o)
    // Re-sends of requests the killed broker had written but not answered are allowed here.
    t.diagnostic(`${o.duplicates} duplicates from re-sent requests`)
  })
})
