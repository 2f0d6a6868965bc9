import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { decodeRequestFrame, encodeRequestFrame } from '../../src/protocol/index.js'
import type { ApiVersionsRequest } from '../../src/protocol/messages/api-versions.js'
import type { FetchRequest, FetchRequestFetchPartition } from '../../src/protocol/messages/fetch.js'
import type { FindCoordinatorRequest } from '../../src/protocol/messages/find-coordinator.js'
import type { HeartbeatRequest } from '../../src/protocol/messages/heartbeat.js'
import type { JoinGroupRequest } from '../../src/protocol/messages/join-group.js'
import type { LeaveGroupRequest } from '../../src/protocol/messages/leave-group.js'
import type { ListOffsetsRequest } from '../../src/protocol/messages/list-offsets.js'
import type { MetadataRequest } from '../../src/protocol/messages/metadata.js'
import type { OffsetCommitRequest } from '../../src/protocol/messages/offset-commit.js'
import type { OffsetFetchRequest } from '../../src/protocol/messages/offset-fetch.js'
import type { ProduceRequest } from '../../src/protocol/messages/produce.js'
import type { SyncGroupRequest } from '../../src/protocol/messages/sync-group.js'
import { Reader } from '../../src/protocol/reader.js'
import {
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readRecordBatchHeader
} from '../../src/protocol/records/record-batch-header.js'

// Frames captured from real clients by scripts/capture-frames/ (against the librdkafka mock cluster).
// Every expectation below comes from what the client was told to send there, not from the codec.

interface Fixture {
  client: string
  clientVersion: string
  apiKey: number
  apiName: string
  apiVersion: number
  correlationId: number
  clientId: string | null
  frameHex: string
}

const FIXTURE_DIR = new URL('../../../test/fixtures/frames/', import.meta.url)
const TOPIC = 'captest'
const NO_GROUP_INSTANCE = null

function loadFixtures(): Map<string, Fixture> {
  const out = new Map<string, Fixture>()
  for (const client of readdirSync(FIXTURE_DIR)) {
    for (const file of readdirSync(new URL(`${client}/`, FIXTURE_DIR))) {
      if (!file.endsWith('.json')) continue
      const text = readFileSync(new URL(`${client}/${file}`, FIXTURE_DIR), 'utf8')
      out.set(`${client}/${file.slice(0, -'.json'.length)}`, JSON.parse(text) as Fixture)
    }
  }
  return out
}

const fixtures = loadFixtures()

/**
 * The fields a version carries on the wire. Decoded objects also hold defaults for fields the version
 * lacks, which the frame says nothing about, so comparisons are made on these picks.
 */
function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>
  for (const k of keys) out[k] = o[k]
  return out
}

function frameOf(f: Fixture): Buffer {
  return Buffer.from(f.frameHex, 'hex')
}

function decode<T>(name: string): { body: T; fixture: Fixture } {
  const fixture = fixtures.get(name)
  assert.ok(fixture, `missing fixture ${name}`)
  return { body: decodeRequestFrame(frameOf(fixture).subarray(4)).body as T, fixture }
}

interface ParsedRecord {
  offsetDelta: number
  key: string | null
  value: string | null
  headers: [string, string | null][]
}

/** Walks the v2 record format by hand (independently of any record code under test). */
function parseRecords(data: Buffer, count: number): ParsedRecord[] {
  const r = new Reader(data)
  const out: ParsedRecord[] = []
  const text = (len: number): string | null => (len < 0 ? null : r.readRaw(len).toString('utf8'))
  for (let i = 0; i < count; i++) {
    const length = r.readVarint()
    const end = r.offset + length
    r.readInt8() // attributes, unused in v2 records
    r.readVarlong() // timestamp delta: wall-clock dependent
    const offsetDelta = r.readVarint()
    const key = text(r.readVarint())
    const value = text(r.readVarint())
    const headers: [string, string | null][] = []
    const headerCount = r.readVarint()
    for (let h = 0; h < headerCount; h++) headers.push([text(r.readVarint()) ?? '', text(r.readVarint())])
    assert.equal(r.offset, end, `record ${i} length prefix disagrees with its content`)
    out.push({ offsetDelta, key, value, headers })
  }
  assert.equal(r.remaining, 0, 'bytes left after the last record')
  return out
}

const KAFKAJS_RECORDS: ParsedRecord[] = [
  { offsetDelta: 0, key: 'k1', value: 'v1', headers: [['h1', 'x']] },
  {
    offsetDelta: 1,
    key: 'k2',
    value: 'v2',
    headers: [
      ['h1', 'y'],
      ['h2', 'z']
    ]
  },
  { offsetDelta: 2, key: null, value: 'v3', headers: [] }
]
const KCAT_HEADERS: [string, string][] = [
  ['h1', 'x'],
  ['h2', 'y']
]
const KCAT_RECORDS: ParsedRecord[] = [1, 2, 3].map((n) => ({
  offsetDelta: n - 1,
  key: `k${n}`,
  value: `v${n}`,
  headers: KCAT_HEADERS
}))

interface ProduceExpectation {
  compression: number
  producerEpoch: number
  baseSequence: number
  records: ParsedRecord[]
}

function checkProduce(name: string, want: ProduceExpectation): void {
  const { body } = decode<ProduceRequest>(name)
  assert.equal(body.transactionalId, null)
  assert.equal(body.acks, -1)
  assert.equal(body.timeoutMs, 30000)
  assert.equal(body.topicData.length, 1)
  const topic = body.topicData[0]!
  assert.equal(topic.name, TOPIC)
  assert.deepEqual(
    topic.partitionData.map((p) => p.index),
    [2]
  )
  const records = topic.partitionData[0]!.records
  assert.ok(records)
  // Exactly one batch: its declared length covers the whole records field.
  const batch = readRecordBatchHeader(records)
  assert.equal(batch.batchLength + LOG_OVERHEAD, records.length)
  assert.equal(batch.baseOffset, 0n)
  assert.equal(batch.magic, 2)
  assert.equal(batch.attributes & 0x07, want.compression)
  assert.equal(batch.recordsCount, want.records.length)
  assert.equal(batch.lastOffsetDelta, want.records.length - 1)
  assert.equal(batch.producerId, -1n)
  assert.equal(batch.producerEpoch, want.producerEpoch)
  assert.equal(batch.baseSequence, want.baseSequence)
  assert.equal(batch.maxTimestamp >= batch.baseTimestamp, true)
  const payload = records.subarray(RECORD_BATCH_OVERHEAD)
  const plain = want.compression === 1 ? gunzipSync(payload) : payload
  assert.deepEqual(parseRecords(plain, batch.recordsCount), want.records)
}

/** ApiVersions before v3 has no fields: the frame ends with the header's client id. */
function checkEmptyBody(name: string): void {
  const { fixture } = decode<ApiVersionsRequest>(name)
  const headerLength = 2 + 2 + 4 + 2 + Buffer.byteLength(fixture.clientId ?? '')
  assert.equal(frameOf(fixture).length, 4 + headerLength)
}

function checkApiVersionsV3(name: string, softwareName: string, softwareVersion: string): void {
  const { body } = decode<ApiVersionsRequest>(name)
  assert.equal(body.clientSoftwareName, softwareName)
  assert.equal(body.clientSoftwareVersion, softwareVersion)
}

interface GroupFrames {
  groupId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocols: string[]
  subscriptionVersion: number
}

/** The group frames of one client must agree on group, member and generation with each other. */
function checkGroupConversation(client: string, want: GroupFrames): void {
  const join = decode<JoinGroupRequest>(`${client}/join-group-v5`).body
  assert.equal(join.groupId, want.groupId)
  assert.equal(join.sessionTimeoutMs, want.sessionTimeoutMs)
  assert.equal(join.rebalanceTimeoutMs, want.rebalanceTimeoutMs)
  assert.equal(join.memberId, '', 'the first JoinGroup of a new member has no member id')
  assert.equal(join.groupInstanceId, NO_GROUP_INSTANCE)
  assert.equal(join.protocolType, 'consumer')
  assert.deepEqual(
    join.protocols.map((p) => p.name),
    want.protocols
  )
  for (const p of join.protocols) {
    // ConsumerProtocolSubscription: version, topics, user data.
    const r = new Reader(p.metadata)
    assert.equal(r.readInt16(), want.subscriptionVersion)
    assert.deepEqual(
      r.readArray(false, (e) => e.readString()),
      [TOPIC]
    )
  }

  const sync = decode<SyncGroupRequest>(`${client}/sync-group-v3`).body
  assert.equal(sync.groupId, want.groupId)
  assert.ok(sync.generationId > 0)
  assert.match(sync.memberId, /^\S+$/)
  assert.equal(sync.groupInstanceId, NO_GROUP_INSTANCE)
  // The only member is the leader, so it sends the one assignment, for itself.
  assert.deepEqual(
    sync.assignments.map((a) => a.memberId),
    [sync.memberId]
  )
  const assignment = new Reader(sync.assignments[0]!.assignment)
  assignment.readInt16()
  const owned = assignment.readArray(false, (e) => ({
    topic: e.readString(),
    partitions: e.readArray(false, (p) => p.readInt32())
  }))
  assert.deepEqual(owned, [{ topic: TOPIC, partitions: [0, 1, 2] }])

  const heartbeat = decode<HeartbeatRequest>(`${client}/heartbeat-v3`).body
  assert.deepEqual(
    [heartbeat.groupId, heartbeat.generationId, heartbeat.memberId, heartbeat.groupInstanceId],
    [want.groupId, sync.generationId, sync.memberId, NO_GROUP_INSTANCE]
  )

  const leave = decode<LeaveGroupRequest>(`${client}/leave-group-v1`).body
  assert.deepEqual([leave.groupId, leave.memberId], [want.groupId, sync.memberId])

  const find = decode<FindCoordinatorRequest>(`${client}/find-coordinator-v2`).body
  assert.deepEqual([find.key, find.keyType], [want.groupId, 0])
}

function commonFetchChecks(body: FetchRequest, maxWaitMs: number, maxBytes: number): void {
  assert.equal(body.replicaId, -1)
  assert.equal(body.maxWaitMs, maxWaitMs)
  assert.equal(body.minBytes, 1)
  assert.equal(body.maxBytes, maxBytes)
  assert.equal(body.isolationLevel, 1)
  assert.equal(body.sessionId, 0)
  assert.equal(body.sessionEpoch, -1)
  assert.deepEqual(body.forgottenTopicsData, [])
  assert.equal(body.rackId, '')
  assert.deepEqual(
    body.topics.map((t) => t.topic),
    [TOPIC]
  )
}

const fetchPartition = (partition: number): Partial<FetchRequestFetchPartition> => ({
  partition,
  currentLeaderEpoch: -1,
  fetchOffset: 0n,
  logStartOffset: -1n,
  partitionMaxBytes: 1048576
})

const fetchedFields = (p: FetchRequestFetchPartition) =>
  pick(p, 'partition', 'currentLeaderEpoch', 'fetchOffset', 'logStartOffset', 'partitionMaxBytes')

const listOffsetsTopics = (body: ListOffsetsRequest) =>
  body.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => pick(p, 'partitionIndex', 'timestamp'))
  }))

/** Specific checks, one per fixture: a fixture without one fails the coverage test below. */
const CHECKS: Record<string, () => void> = {
  'kcat/api-versions-v0': () => checkEmptyBody('kcat/api-versions-v0'),
  'kcat/api-versions-v3': () => checkApiVersionsV3('kcat/api-versions-v3', 'librdkafka', '2.0.2'),
  'platformatic/api-versions-v3': () =>
    checkApiVersionsV3('platformatic/api-versions-v3', 'platformatic-kafka', '1.35.0'),
  'kafkajs/api-versions-v2': () => checkEmptyBody('kafkajs/api-versions-v2'),
  'kcat/metadata-v2': () => {
    // librdkafka's first refresh only wants brokers: an empty list, which is not the null "all topics".
    assert.deepEqual(decode<MetadataRequest>('kcat/metadata-v2').body.topics, [])
  },
  'kafkajs/metadata-v2': () => {
    const { body } = decode<MetadataRequest>('kafkajs/metadata-v2')
    assert.deepEqual(
      body.topics?.map((t) => t.name),
      [TOPIC]
    )
  },
  'kcat/produce-v7': () =>
    checkProduce('kcat/produce-v7', {
      compression: 0,
      producerEpoch: -1,
      baseSequence: -1,
      records: KCAT_RECORDS
    }),
  'kcat/produce-v7-gzip': () =>
    checkProduce('kcat/produce-v7-gzip', {
      compression: 1,
      producerEpoch: -1,
      baseSequence: -1,
      records: KCAT_RECORDS
    }),
  'kafkajs/produce-v7': () =>
    checkProduce('kafkajs/produce-v7', {
      compression: 0,
      producerEpoch: 0,
      baseSequence: 0,
      records: KAFKAJS_RECORDS
    }),
  'kafkajs/produce-v7-gzip': () =>
    checkProduce('kafkajs/produce-v7-gzip', {
      compression: 1,
      producerEpoch: 0,
      baseSequence: 0,
      records: KAFKAJS_RECORDS
    }),
  'kcat/fetch-v11': () => {
    const { body } = decode<FetchRequest>('kcat/fetch-v11')
    commonFetchChecks(body, 500, 52428800)
    assert.deepEqual(body.topics[0]!.partitions.map(fetchedFields), [fetchPartition(2)])
  },
  'kafkajs/fetch-v11': () => {
    const { body } = decode<FetchRequest>('kafkajs/fetch-v11')
    commonFetchChecks(body, 100, 10485760)
    // kafkajs lists the partitions in no fixed order (it varies between captures).
    const partitions = body.topics[0]!.partitions.map(fetchedFields).sort((a, b) => a.partition - b.partition)
    assert.deepEqual(partitions, [0, 1, 2].map(fetchPartition))
  },
  'kcat/list-offsets-v2': () => {
    const { body } = decode<ListOffsetsRequest>('kcat/list-offsets-v2')
    assert.equal(body.replicaId, -1)
    assert.equal(body.isolationLevel, 1)
    // `-o beginning` asks for the earliest offset (-2).
    assert.deepEqual(listOffsetsTopics(body), [
      { name: TOPIC, partitions: [{ partitionIndex: 2, timestamp: -2n }] }
    ])
  },
  'kafkajs/list-offsets-v3': () => {
    const { body } = decode<ListOffsetsRequest>('kafkajs/list-offsets-v3')
    assert.equal(body.replicaId, -1)
    assert.equal(body.isolationLevel, 1)
    // admin.fetchTopicOffsets asks for the latest offset (-1) of every partition.
    assert.deepEqual(listOffsetsTopics(body), [
      { name: TOPIC, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }
    ])
  },
  'kafkajs/offset-fetch-v4': () => {
    const { body } = decode<OffsetFetchRequest>('kafkajs/offset-fetch-v4')
    assert.equal(body.groupId, 'capture-group')
    assert.deepEqual(body.topics, [{ name: TOPIC, partitionIndexes: [0, 1, 2] }])
  },
  'kafkajs/offset-commit-v5': () => {
    const { body } = decode<OffsetCommitRequest>('kafkajs/offset-commit-v5')
    const sync = decode<SyncGroupRequest>('kafkajs/sync-group-v3').body
    assert.deepEqual(
      [body.groupId, body.generationIdOrMemberEpoch, body.memberId],
      ['capture-group', sync.generationId, sync.memberId]
    )
    // Auto-commit of what was read from partition 2, the only one with records: the next offset to read.
    assert.equal(body.topics.length, 1)
    assert.equal(body.topics[0]!.name, TOPIC)
    const [p] = body.topics[0]!.partitions
    assert.equal(p?.partitionIndex, 2)
    assert.equal(p?.committedMetadata, null)
    assert.ok(p !== undefined && p.committedOffset > 0n)
  },
  'kcat/offset-commit-v7': () => {
    const { body } = decode<OffsetCommitRequest>('kcat/offset-commit-v7')
    const sync = decode<SyncGroupRequest>('kcat/sync-group-v3').body
    assert.deepEqual(
      [body.groupId, body.generationIdOrMemberEpoch, body.memberId, body.groupInstanceId],
      ['capture-kcat', sync.generationId, sync.memberId, NO_GROUP_INSTANCE]
    )
    // kcat's group consumer read the six records kcat produced to partition 2 (plain, then gzip).
    assert.deepEqual(
      body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) =>
          pick(p, 'partitionIndex', 'committedOffset', 'committedLeaderEpoch', 'committedMetadata')
        )
      })),
      [
        {
          name: TOPIC,
          partitions: [
            { partitionIndex: 2, committedOffset: 6n, committedLeaderEpoch: -1, committedMetadata: '' }
          ]
        }
      ]
    )
  },
  'kcat/group': () =>
    checkGroupConversation('kcat', {
      groupId: 'capture-kcat',
      sessionTimeoutMs: 45000,
      rebalanceTimeoutMs: 300000,
      protocols: ['range', 'roundrobin'],
      subscriptionVersion: 1
    }),
  'kafkajs/group': () =>
    checkGroupConversation('kafkajs', {
      groupId: 'capture-group',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      protocols: ['RoundRobinAssigner'],
      subscriptionVersion: 0
    })
}

/** Fixtures whose specific check is one of the group conversations above. */
const GROUP_FRAMES = [
  'join-group-v5',
  'sync-group-v3',
  'heartbeat-v3',
  'leave-group-v1',
  'find-coordinator-v2'
]

test('the fixtures cover every client and the APIs the brief asks for', () => {
  const names = [...fixtures.keys()]
  for (const client of ['kcat', 'kafkajs']) {
    for (const api of ['api-versions', 'metadata', 'produce', 'fetch', 'list-offsets', 'find-coordinator']) {
      assert.ok(
        names.some((n) => n.startsWith(`${client}/${api}-v`)),
        `no ${api} fixture for ${client}`
      )
    }
    assert.ok(names.some((n) => n.startsWith(`${client}/produce-`) && n.endsWith('-gzip')))
  }
  assert.ok(names.some((n) => n.startsWith('platformatic/api-versions-v')))
})

test('every fixture has a specific check', () => {
  for (const name of fixtures.keys()) {
    const [client, file] = name.split('/') as [string, string]
    const covered = name in CHECKS || (GROUP_FRAMES.includes(file) && `${client}/group` in CHECKS)
    assert.ok(covered, `fixture ${name} has no specific check in this file`)
  }
})

for (const [name, fixture] of fixtures) {
  test(`${name}: header, size and byte-exact re-encoding`, () => {
    const frame = frameOf(fixture)
    assert.equal(frame.readInt32BE(0), frame.length - 4)
    const { header, api, body } = decodeRequestFrame(frame.subarray(4))
    assert.equal(api.apiKey, fixture.apiKey)
    assert.equal(api.name, fixture.apiName)
    assert.equal(header.requestApiKey, fixture.apiKey)
    assert.equal(header.requestApiVersion, fixture.apiVersion)
    assert.equal(header.correlationId, fixture.correlationId)
    assert.equal(header.clientId, fixture.clientId)
    assert.ok(fixture.clientId?.startsWith(`${fixture.client}-`))
    const again = encodeRequestFrame(header, body)
    assert.equal(again.toString('hex'), fixture.frameHex)
  })
}

for (const [name, check] of Object.entries(CHECKS)) {
  test(`${name}: decoded fields match what the client sent`, check)
}
