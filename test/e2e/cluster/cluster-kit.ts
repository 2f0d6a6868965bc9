/**
 * Shared by the multi-broker e2e tests: a `samsa cluster` on free ports (start, topic creation, teardown),
 * cluster and partition metadata through kcat, bounded polling, raw round trips and acks=all produces,
 * restarting one broker with its node id, port and log dir, reading a stopped replica's log with the
 * storage layer, and raw consumer fetches, produces and coordinator lookups.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import kafkajs, { type ITopicConfig } from 'kafkajs'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import { ErrorCode } from '../../../src/protocol/error-codes.js'
import type {
  FetchRequest,
  FetchResponse,
  FetchResponsePartitionData
} from '../../../src/protocol/messages/fetch.js'
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse
} from '../../../src/protocol/messages/find-coordinator.js'
import type { MetadataRequest, MetadataResponse } from '../../../src/protocol/messages/metadata.js'
import type { ProduceRequest, ProduceResponse } from '../../../src/protocol/messages/produce.js'
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.js'
import { LogConfig } from '../../../src/storage/log-config.js'
import { UnifiedLog } from '../../../src/storage/unified-log.js'
import { CLI_PATH, runCli } from '../../helpers/broker-process.js'
import { request } from '../../helpers/partition-client.js'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'
import { KCAT } from '../support/kcat.js'
import { batchOf, rawMetadata } from '../support/raw-requests.js'
import { runOk } from '../support/run-process.js'

export type ClusterBroker = ClusterState['brokers'][number]

export interface KcatPartition {
  partition: number
  leader: number
  replicas: { id: number }[]
  isrs: { id: number }[]
}

export async function partitionOf(bootstrap: string, topic: string, partition = 0): Promise<KcatPartition> {
  const { stdout } = await runOk(KCAT, ['-L', '-J', '-b', bootstrap, '-t', topic, '-m', '5'], {
    timeoutMs: 15_000
  })
  const md = JSON.parse(stdout.toString('utf8')) as { topics: { partitions: KcatPartition[] }[] }
  const p = md.topics[0]?.partitions.find((x) => x.partition === partition)
  if (!p) throw new Error(`no metadata for ${topic}-${partition}`)
  return p
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>
): Promise<T> {
  return pollFor(what, timeoutMs, check)
}

export interface PollOptions {
  /** Pause between checks; 100 ms unless given. */
  readonly intervalMs?: number
}

/**
 * Polls `check` until it returns a value, or fails after `timeoutMs`. A check that throws counts as "not
 * yet"; the last error it threw is quoted in the timeout, so a check can throw to say what it saw.
 */
export async function pollFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  options: PollOptions = {}
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const value = await check().catch((err: unknown) => {
      last = err instanceof Error ? err.message : String(err)
      return undefined
    })
    if (value !== undefined) return value
    await sleep(options.intervalMs ?? 100)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last seen: ${last})` : ''}`)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export async function freePortRange(count: number): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    let free = true
    for (let i = 0; i < count && free; i++) free = await isFree(base + i)
    if (free) return base
  }
  throw new Error('no free port range found')
}

/** Starts `samsa cluster start --brokers n` in `dir` with extra broker overrides; returns its state. */
export async function startCluster(dir: string, brokers: number, overrides: readonly string[]) {
  return (await launchCluster(dir, { brokers, overrides })).state
}

export interface ClusterOptions {
  readonly brokers: number
  readonly overrides?: readonly string[]
  /** One rack per broker (`--racks`). */
  readonly racks?: readonly string[]
  /**
   * The first of the brokers' consecutive ports; by default a free range of `brokers` ports. A test that adds
   * brokers later reserves a longer range with `freePortRange` and passes its start.
   */
  readonly basePort?: number
  /** `--secure`: SASL_SSL for clients, settings in `dir/client.properties`. */
  readonly secure?: boolean
}

/** `samsa cluster start` on a free port range: the cluster's state and what the command printed. */
export async function launchCluster(
  dir: string,
  options: ClusterOptions
): Promise<{ state: ClusterState; stdout: string }> {
  const started = await runCli(
    [
      'cluster',
      'start',
      '--brokers',
      String(options.brokers),
      ...(options.racks ? ['--racks', options.racks.join(',')] : []),
      '--dir',
      dir,
      '--base-port',
      String(options.basePort ?? (await freePortRange(options.brokers))),
      ...(options.secure ? ['--secure'] : []),
      ...(options.overrides ?? []).flatMap((o) => ['--override', o])
    ],
    60_000
  )
  if (started.code !== 0) throw new Error(`cluster start failed: ${started.stderr}`)
  const state = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterState
  return { state, stdout: started.stdout }
}

/**
 * Teardown: resumes every process of the cluster a test may have SIGSTOPped (etcd and brokers), runs
 * `samsa cluster stop` (ignoring its failure: a test may have stopped it already) and removes `dir`, unless
 * SAMSA_KEEP_CLUSTER_DIR=1 keeps it (with every broker's log) for a post-mortem.
 */
export async function stopCluster(dir: string, state: ClusterState | undefined): Promise<void> {
  if (!dir) return
  for (const pid of state ? [state.etcd.pid, ...state.brokers.map((b) => b.pid)] : []) {
    try {
      process.kill(pid, 'SIGCONT')
    } catch {}
  }
  await runCli(['cluster', 'stop', '--dir', dir], 60_000).catch(() => undefined)
  if (process.env.SAMSA_KEEP_CLUSTER_DIR !== '1') await rm(dir, { recursive: true, force: true })
}

/** Creates topics through kafkajs's admin client and waits for their leaders; false if one existed. */
export async function createTopics(bootstrap: string, topics: ITopicConfig[]): Promise<boolean> {
  const kafka = new kafkajs.Kafka({ brokers: bootstrap.split(','), logLevel: kafkajs.logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await admin.createTopics({ topics, waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/**
 * The cluster the replication tests share: `samsa cluster start` with 3 brokers and `overrides`, and `topic`
 * with one partition, RF=3 and min.insync.replicas=2, its leader elected.
 */
export async function startReplicatedCluster(
  dir: string,
  topic: string,
  overrides: readonly string[]
): Promise<ClusterState> {
  const state = await startCluster(dir, 3, overrides)
  await createTopics(state.bootstrap, [
    {
      topic,
      numPartitions: 1,
      replicationFactor: 3,
      configEntries: [{ name: 'min.insync.replicas', value: '2' }]
    }
  ])
  return state
}

/**
 * A broker of the cluster started again by the test (after a SIGKILL) with the node id, listener and log
 * dir `samsa cluster start` gave it, so it recovers its log and rejoins as the same replica. `cluster stop`
 * does not know its new pid: the test stops it.
 */
export class RestartedBroker {
  private readonly exited: Promise<void>

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
  }

  static async start(
    state: ClusterState,
    broker: ClusterBroker,
    overrides: readonly string[]
  ): Promise<RestartedBroker> {
    const all = [
      `node.id=${broker.nodeId}`,
      `listeners=PLAINTEXT://127.0.0.1:${broker.port}`,
      `log.dirs=${broker.logDir}`,
      'metadata.store=etcd',
      `etcd.endpoints=${state.etcd.endpoint}`,
      // The restarted broker keeps its admin listener's port, as cluster.json records it.
      ...(broker.adminUrl ? [`admin.listeners=${broker.adminUrl}`] : []),
      ...overrides
    ]
    const fd = openSync(broker.log, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, [CLI_PATH, 'broker', ...all.flatMap((o) => ['--override', o])], {
        stdio: ['ignore', fd, fd]
      })
    } finally {
      closeSync(fd)
    }
    const restarted = new RestartedBroker(child)
    // The listener binds only once the broker is registered in etcd.
    await waitFor(`broker ${broker.nodeId} to accept connections again`, 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`broker ${broker.nodeId} exited`)
      return (await canConnect(broker.port)) ? true : undefined
    })
    return restarted
  }

  /** SIGTERM (a clean shutdown), SIGKILL if it has not exited within 20 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000)
    await this.exited
    clearTimeout(timer)
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Every record value of one partition directory, read with the storage layer (its broker is stopped). */
export async function logValues(dir: string, topic: string, partition = 0): Promise<string[]> {
  const log = await UnifiedLog.open({
    dir,
    topicPartition: { topic, partition },
    config: new LogConfig()
  })
  try {
    const values: string[] = []
    let offset = log.logStartOffset
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 1 << 20, { maxOffset: log.logEndOffset })
      if (records.length === 0) break
      for (let pos = 0; pos < records.length; ) {
        const batch = await decodeRecordBatch(records, pos)
        for (const r of batch.records) values.push(r.value?.toString() ?? '')
        offset = Number(batch.baseOffset) + batch.lastOffsetDelta + 1
        pos += records.readInt32BE(pos + 8) + 12
      }
    }
    return values
  } finally {
    await log.close()
  }
}

export interface KcatMetadata {
  controllerid: number
  brokers: { id: number; name: string }[]
  topics: { topic: string; partitions: KcatPartition[] }[]
}

/** kcat's metadata (`kcat -L -J`); without `topic` none is named, so none can be auto-created. */
export async function metadataOf(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const named = topic === undefined ? [] : ['-t', topic]
  const { stdout } = await runOk(KCAT, ['-L', '-J', '-b', bootstrap, ...named, '-m', '5'], {
    timeoutMs: 15_000
  })
  return JSON.parse(stdout.toString('utf8')) as KcatMetadata
}

/**
 * The first partition of the first topic in `views` (one per broker) when every broker reports the same
 * brokers, leader and ISR, a controller, `brokers` live brokers and at least `minIsr` in-sync replicas;
 * otherwise throws what it saw, for `pollFor` to quote.
 */
export function agreedPartition(
  views: readonly KcatMetadata[],
  brokers: number,
  minIsr: number
): KcatPartition {
  const keys = views.map((m) => {
    const p = m.topics[0]?.partitions[0]
    return JSON.stringify({
      controller: m.controllerid > 0,
      brokers: m.brokers.map((b) => b.id).sort(),
      leader: p?.leader ?? -1,
      isr: p?.isrs.map((r) => r.id).sort() ?? []
    })
  })
  const seen = keys.join(' | ')
  if (keys.some((k) => k !== keys[0])) throw new Error(`views differ: ${seen}`)
  const first = views[0]
  const p = first?.topics[0]?.partitions[0]
  if (!first || first.controllerid <= 0 || first.brokers.length !== brokers) throw new Error(seen)
  if (!p || p.leader < 0 || p.isrs.length < minIsr) throw new Error(seen)
  return p
}

/** One request over a fresh raw connection to the broker at `port`; the response body. */
export function roundTrip<T>(
  port: number,
  apiKey: number,
  version: number,
  body: unknown,
  timeoutMs = 20_000
): Promise<T> {
  return request<T>(port, apiKey, version, body, timeoutMs)
}

let correlationId = 0

export type MetadataPartition = MetadataResponse['topics'][number]['partitions'][number]

/**
 * What the broker at `port` reports of `topic` (raw Metadata v9, no auto-creation): the live brokers' ids,
 * sorted, and the topic's partitions in partition order. Throws when the topic has an error.
 */
export async function topicMetadataAt(
  port: number,
  topic: string
): Promise<{ brokers: number[]; partitions: MetadataPartition[] }> {
  const body: MetadataRequest = {
    topics: [{ name: topic }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false
  }
  const response = await roundTrip<MetadataResponse>(port, 3, 9, body)
  const found = response.topics[0]
  if (!found || found.errorCode !== ErrorCode.NONE) throw new Error(`no metadata for ${topic}`)
  return {
    brokers: response.brokers.map((b) => b.nodeId).sort(),
    partitions: [...found.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)
  }
}

export type PartitionProduceResponse = ProduceResponse['responses'][number]['partitionResponses'][number]

/** Sends one acks=-1 Produce v9 of `value` to partition 0 of `topic` on `client`; read it with `produceAnswer`. */
export async function sendProduceAcksAll(
  client: RawKafkaClient,
  topic: string,
  value: string,
  timeoutMs: number
): Promise<void> {
  const body: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: await batchOf([value]) }] }]
  }
  client.send(
    { requestApiKey: 0, requestApiVersion: 9, correlationId: ++correlationId, clientId: 'cluster-test' },
    body
  )
}

/** The partition's answer to the Produce v9 sent with `sendProduceAcksAll`, waited for up to `waitMs`. */
export async function produceAnswer(
  client: RawKafkaClient,
  waitMs: number
): Promise<PartitionProduceResponse> {
  const response = await client.nextResponse<ProduceResponse>(0, 9, waitMs)
  return response.body.responses[0]!.partitionResponses[0]!
}

/** An acks=all produce of `value` to partition 0 of `topic` at `port`, answered within `timeoutMs`. */
export async function produceAcksAll(
  port: number,
  topic: string,
  value: string,
  timeoutMs: number
): Promise<PartitionProduceResponse> {
  const client = await RawKafkaClient.connect(port)
  try {
    await sendProduceAcksAll(client, topic, value, timeoutMs)
    return await produceAnswer(client, timeoutMs + 10_000)
  } finally {
    client.close()
  }
}

/** Kafka's name of an error code, for assertion messages. */
export function errorName(code: number): string {
  return Object.entries(ErrorCode).find(([, c]) => c === code)?.[0] ?? String(code)
}

/** The broker of the cluster with `nodeId` (the test knows it exists). */
export function brokerOf(state: ClusterState, nodeId: number): ClusterBroker {
  const broker = state.brokers.find((b) => b.nodeId === nodeId)
  if (!broker) throw new Error(`no broker ${nodeId} in the cluster`)
  return broker
}

/**
 * `launchCluster` in a new temp dir named after `prefix`, started afresh up to `attempts` times: a free port
 * range can be taken by another test between the check and the bind, and a failed start leaves an etcd
 * data dir and broker logs behind, so each attempt takes a new dir and range. With `ports` more than the
 * brokers, the range is that long (a test that adds brokers later uses the ports after theirs).
 */
export async function launchClusterAfresh(
  prefix: string,
  options: ClusterOptions & { readonly ports?: number },
  attempts = 3
): Promise<{ dir: string; state: ClusterState; basePort: number }> {
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    const basePort = options.basePort ?? (await freePortRange(options.ports ?? options.brokers))
    try {
      const { state } = await launchCluster(dir, { ...options, basePort })
      return { dir, state, basePort }
    } catch (err) {
      await stopCluster(dir, undefined)
      if (attempt >= attempts) throw err
    }
  }
}

/** Waits until the broker at `port` reports `count` registered (unfenced) brokers. */
export async function waitForBrokers(port: number, count: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${count} brokers registered`, timeoutMs, async () =>
    (await rawMetadata(port, [], false)).brokers.length === count ? true : undefined
  )
}

/**
 * `startCluster` with `brokers` brokers, and `topic` created once every broker is registered (an RF=n
 * topic cannot be placed before), its leaders elected.
 */
export async function startClusterWithTopic(
  dir: string,
  brokers: number,
  overrides: readonly string[],
  topic: ITopicConfig
): Promise<ClusterState> {
  const state = await startCluster(dir, brokers, overrides)
  await waitForBrokers(state.brokers[0]!.port, brokers)
  await createTopics(state.bootstrap, [topic])
  return state
}

/** Waits until kcat sees `size` in-sync replicas of partition 0 of `topic`. */
export async function waitForIsr(bootstrap: string, topic: string, size: number, timeoutMs = 20_000) {
  await waitFor(`${size} replicas of ${topic} in the ISR`, timeoutMs, async () =>
    (await partitionOf(bootstrap, topic)).isrs.length === size ? true : undefined
  )
}

export interface ConsumerFetchOptions {
  readonly fetchOffset?: number
  readonly lastFetchedEpoch?: number
  readonly rackId?: string
  /** 0 (the default) answers at once; with `minBytes` 1 the fetch parks up to this long. */
  readonly maxWaitMs?: number
  readonly minBytes?: number
}

/** A consumer's Fetch (replica id -1, read_uncommitted, no session) of partition 0 of `topic`. */
export function consumerFetchRequest(topic: string, options: ConsumerFetchOptions = {}): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(options.fetchOffset ?? 0),
            lastFetchedEpoch: options.lastFetchedEpoch ?? -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20
          }
        ]
      }
    ],
    forgottenTopicsData: [],
    rackId: options.rackId ?? ''
  }
}

/** `consumerFetchRequest` sent as Fetch `version` to the broker at `port`: the partition's answer. */
export async function consumerFetch(
  port: number,
  version: number,
  topic: string,
  options: ConsumerFetchOptions = {}
): Promise<FetchResponsePartitionData> {
  const response = await roundTrip<FetchResponse>(port, 1, version, consumerFetchRequest(topic, options))
  return response.responses[0]!.partitions[0]!
}

/** Every record value in a fetched `records` buffer, batch by batch. */
export async function recordValues(records: Buffer | null | undefined): Promise<string[]> {
  const out: string[] = []
  if (!records) return out
  for (let pos = 0; pos + 12 <= records.length; ) {
    const batch = await decodeRecordBatch(records, pos)
    for (const r of batch.records) out.push(r.value?.toString() ?? '')
    pos += records.readInt32BE(pos + 8) + 12
  }
  return out
}

/** One Produce v9 of `values` (one batch) to partition 0 of `topic` at `port` with `acks`: its answer. */
export async function produceValues(
  port: number,
  topic: string,
  acks: number,
  values: readonly string[],
  timeoutMs = 5000
): Promise<PartitionProduceResponse> {
  const body: ProduceRequest = {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: await batchOf(values) }] }]
  }
  const response = await roundTrip<ProduceResponse>(port, 0, 9, body)
  return response.responses[0]!.partitionResponses[0]!
}

/** FindCoordinator v3 of `key` (key type 0: a group, 1: a transactional id) at `port`. */
export async function findCoordinator(
  port: number,
  key: string,
  keyType = 0,
  timeoutMs = 10_000
): Promise<{ errorCode: number; nodeId: number; port: number }> {
  const body: FindCoordinatorRequest = { key, keyType }
  const r = await roundTrip<FindCoordinatorResponse>(port, 10, 3, body, timeoutMs)
  return { errorCode: r.errorCode ?? ErrorCode.NONE, nodeId: r.nodeId ?? -1, port: r.port ?? -1 }
}

/** A partition as the reassignment tests compare it: leader, replicas in order, ISR sorted. */
export interface PartitionView {
  leader: number
  replicas: number[]
  isr: number[]
}

export function partitionView(p: MetadataPartition): PartitionView {
  return { leader: p.leaderId, replicas: [...p.replicaNodes], isr: [...p.isrNodes].sort() }
}
