/**
 * Bounded fuzz run against a live broker process: random byte frames and real requests (ApiVersions,
 * Metadata, Produce, Fetch, ListOffsets, encoded by the codec at every version the broker serves) mutated by
 * fast-check — bit flips, truncation, a corrupted size field, a wrong api key or version — each on its own
 * connection. Afterwards the broker must still be up with a sane RSS, and kcat must produce and consume.
 */

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { encodeRequestFrame } from '../../../src/protocol/index.js'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { ensureTopic, produceValues, valuesBatch } from '../../helpers/partition-client.js'

const TOPIC = 'fuzz-target'
const MAX_CASES = 4000
const TIME_BUDGET_MS = 20_000
const WORKERS = 16
const CONNECTION_TIMEOUT_MS = 1500
const RSS_SLACK_KB = 256 * 1024
const SEED = Number(process.env.SAMSA_FUZZ_SEED ?? Date.now() % 1_000_000)

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS for ${pid}`)
  return Number(m[1])
}

/** Valid request frames (size prefix included) for every version of five APIs. */
async function seedFrames(): Promise<Buffer[]> {
  const batch = await valuesBatch(['fuzz-a', 'fuzz-b'])
  const bodies: [apiKey: number, min: number, max: number, body: unknown][] = [
    [18, 0, 4, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1.0' }],
    [
      3,
      0,
      12,
      {
        topics: [{ name: TOPIC }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false
      }
    ],
    [
      0,
      3,
      11,
      {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }]
      }
    ],
    [
      1,
      4,
      17,
      {
        replicaId: -1,
        maxWaitMs: 10,
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
                fetchOffset: 0n,
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
    ],
    [
      2,
      1,
      10,
      {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }
        ],
        timeoutMs: 1000
      }
    ]
  ]
  const frames: Buffer[] = []
  for (const [apiKey, min, max, body] of bodies) {
    for (let v = min; v <= max; v++) {
      frames.push(
        encodeRequestFrame(
          { requestApiKey: apiKey, requestApiVersion: v, correlationId: v, clientId: 'fuzz' },
          body
        )
      )
    }
  }
  return frames
}

type Mutation =
  | { kind: 'random'; bytes: Uint8Array; sized: boolean }
  | { kind: 'flip'; seed: number; bits: number[] }
  | { kind: 'truncate'; seed: number; cut: number; fixSize: boolean }
  | { kind: 'size'; seed: number; size: number }
  | { kind: 'version'; seed: number; apiKey: number; apiVersion: number }

function mutationArb(seeds: number): fc.Arbitrary<Mutation> {
  const seed = fc.nat({ max: seeds - 1 })
  return fc.oneof(
    fc.record({
      kind: fc.constant('random' as const),
      bytes: fc.uint8Array({ maxLength: 512 }),
      sized: fc.boolean()
    }),
    fc.record({
      kind: fc.constant('flip' as const),
      seed,
      bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 })
    }),
    fc.record({ kind: fc.constant('truncate' as const), seed, cut: fc.nat(), fixSize: fc.boolean() }),
    fc.record({
      kind: fc.constant('size' as const),
      seed,
      size: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
    }),
    fc.record({
      kind: fc.constant('version' as const),
      seed,
      apiKey: fc.oneof(fc.integer({ min: -1, max: 90 }), fc.integer({ min: -32768, max: 32767 })),
      apiVersion: fc.oneof(fc.integer({ min: -1, max: 20 }), fc.integer({ min: -32768, max: 32767 }))
    })
  )
}

function apply(m: Mutation, seeds: readonly Buffer[]): Buffer {
  if (m.kind === 'random') {
    const body = Buffer.from(m.bytes)
    if (!m.sized) return body
    const out = Buffer.alloc(4 + body.length)
    out.writeInt32BE(body.length, 0)
    body.copy(out, 4)
    return out
  }
  const frame = Buffer.from(seeds[m.seed]!)
  switch (m.kind) {
    case 'flip':
      // Past the size prefix: a bad size is its own mutation.
      for (const b of m.bits) {
        const bit = b % ((frame.length - 4) * 8)
        frame[4 + (bit >> 3)]! ^= 1 << (bit & 7)
      }
      return frame
    case 'truncate': {
      const cut = frame.subarray(0, m.cut % frame.length)
      if (m.fixSize && cut.length >= 4) cut.writeInt32BE(cut.length - 4, 0)
      return cut
    }
    case 'size':
      frame.writeInt32BE(m.size, 0)
      return frame
    case 'version':
      frame.writeInt16BE(m.apiKey, 4)
      frame.writeInt16BE(m.apiVersion, 6)
      return frame
  }
}

type Outcome = 'answered-and-closed' | 'closed' | 'timed-out' | 'refused'

/** One connection: send the bytes, half-close, and wait for the broker to close (bounded). */
function sendOnce(port: number, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    let answered = false
    let settled = false
    const socket = connect({ port, host: '127.0.0.1' })
    const finish = (o: Outcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(o)
    }
    const timer = setTimeout(() => finish('timed-out'), CONNECTION_TIMEOUT_MS)
    socket.on('connect', () => socket.end(bytes))
    socket.on('data', () => {
      answered = true
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') finish('refused')
    })
    socket.on('close', () => finish(answered ? 'answered-and-closed' : 'closed'))
  })
}

function kcat(
  args: string[],
  input?: string
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`kcat ${args.join(' ')} timed out: ${stderr}`))
    }, 20_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input ?? '')
  })
}

describe('fuzzed frames against a live broker', { timeout: 60_000 }, () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await BrokerProcess.start()
    await ensureTopic(broker.port, TOPIC)
    const warm = await produceValues(broker.port, TOPIC, 0, ['before-fuzz'])
    assert.equal(warm.errorCode, 0)
  })

  after(async () => {
    await broker?.stop('SIGKILL')
  })

  it('survives thousands of malformed connections and still serves real clients', async (t) => {
    const seeds = await seedFrames()
    const cases = fc.sample(mutationArb(seeds.length), { numRuns: MAX_CASES, seed: SEED })
    t.diagnostic(`fast-check seed ${SEED} (set SAMSA_FUZZ_SEED to replay), ${seeds.length} seed frames`)
    const rssBefore = rssKb(broker.pid)
    const counts: Record<Outcome, number> = {
      'answered-and-closed': 0,
      closed: 0,
      'timed-out': 0,
      refused: 0
    }
    const deadline = Date.now() + TIME_BUDGET_MS
    let next = 0
    const worker = async () => {
      while (next < cases.length && Date.now() < deadline) {
        const m = cases[next++]!
        counts[await sendOnce(broker.port, apply(m, seeds))]++
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, worker))
    const sent = Object.values(counts).reduce((a, b) => a + b, 0)
    t.diagnostic(`${sent} connections: ${JSON.stringify(counts)}`)
    const unexpected = broker.logs.filter((l) => l.level === 'error' || l.level === 'fatal')
    t.diagnostic(`${unexpected.length} error-level broker log lines`)
    for (const l of unexpected.slice(0, 5)) t.diagnostic(JSON.stringify(l).slice(0, 400))

    assert.ok(sent >= 1000, `only ${sent} cases ran in the time budget`)
    assert.ok(counts['answered-and-closed'] > 0, 'no case got an answer: the harness is not speaking Kafka')
    assert.equal(counts.refused, 0, 'the broker stopped accepting connections')
    assert.equal(broker.child.exitCode, null, `broker exited: ${broker.stderr}`)
    assert.equal(broker.child.signalCode, null)
    const rssAfter = rssKb(broker.pid)
    t.diagnostic(`RSS ${rssBefore} kB -> ${rssAfter} kB`)
    assert.ok(rssAfter < rssBefore + RSS_SLACK_KB, `RSS grew from ${rssBefore} kB to ${rssAfter} kB`)

    // A fresh real client still works end to end.
    const topic = 'after-fuzz'
    const produced = await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0'], 'one\ntwo\nthree\n')
    assert.equal(produced.code, 0, produced.stderr)
    const consumed = await kcat([
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-q'
    ])
    assert.equal(consumed.code, 0, consumed.stderr)
    assert.deepEqual(consumed.stdout.trim().split('\n'), ['one', 'two', 'three'])
  })
})
