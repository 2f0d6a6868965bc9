import { type BrokerChannelSecurity, PLAINTEXT_CHANNEL } from '../network/broker-channel-security.js'
import { BrokerConnection } from '../network/broker-connection.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import { FetchApi, type FetchRequest, type FetchResponse } from '../protocol/messages/fetch.js'
import {
  OffsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse
} from '../protocol/messages/offset-for-leader-epoch.js'
import { offsetTruncationState } from './offset-truncation.js'
import type { Partition } from './partition.js'
import { isFollowerThrottled, type ReplicationThrottle } from './replication-throttle.js'

/**
 * v12: topic names, replicaId in the body, currentLeaderEpoch and lastFetchedEpoch, so that the leader
 * answers a diverged log with divergingEpoch instead of records (KIP-320's truncation on fetch).
 */
const FETCH_VERSION = 12
/** v3 carries the replica id, so the leader answers only as leader. */
const OFFSET_FOR_LEADER_EPOCH_VERSION = 3
const EMPTY = Buffer.alloc(0)

export interface ReplicaFetcherConfig {
  /** replica.fetch.wait.max.ms: how long the leader may park a fetch that finds nothing new. */
  readonly maxWaitMs: number
  /** replica.fetch.max.bytes, per partition. */
  readonly partitionMaxBytes: number
  /** replica.fetch.response.max.bytes. */
  readonly maxBytes: number
  /** replica.fetch.backoff.ms: the pause after an error. */
  readonly backoffMs: number
  /**
   * follower.replication.throttled.rate for replicas catching up whose topic lists them in
   * follower.replication.throttled.replicas (absent: unthrottled).
   */
  readonly throttle?: ReplicationThrottle
}

export const DEFAULT_REPLICA_FETCHER_CONFIG: ReplicaFetcherConfig = {
  maxWaitMs: 500,
  partitionMaxBytes: 1_048_576,
  maxBytes: 10_485_760,
  backoffMs: 500
}

interface FetchState {
  readonly partition: Partition
  /** The leader epoch this state follows; a new epoch replaces the state and truncates again. */
  readonly leaderEpoch: number
  /** The log must be truncated to the leader's end offset for its latest epoch before fetching. */
  truncating: boolean
}

/**
 * Replicates the partitions that one leader broker leads and this broker follows (Kafka's
 * ReplicaFetcherThread with AbstractFetcherThread's loop): for each partition that starts following a
 * leader epoch it first asks OffsetForLeaderEpoch for the end offset of its own latest epoch and truncates
 * what the leader does not have; then it fetches all partitions in one Fetch (replicaId = this broker, so the
 * leader reads up to its log end offset and records each fetch offset as this replica's log end offset),
 * appends the batches as they are (offsets and epochs kept) and takes the leader's high watermark.
 *
 * Event loop: one asynchronous loop per fetcher; the leader parks each Fetch up to maxWaitMs, so an idle
 * partition costs one request per maxWaitMs. Errors back off for backoffMs.
 */
export class ReplicaFetcher {
  private readonly states = new Map<string, FetchState>()
  private readonly connection: BrokerConnection
  private loop: Promise<void> | null = null
  private stopped = false
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | null = null

  constructor(
    private readonly localBrokerId: number,
    readonly leaderId: number,
    endpoint: () => { host: string; port: number } | undefined,
    private readonly onError: (err: unknown, what: string) => void,
    private readonly config: ReplicaFetcherConfig = DEFAULT_REPLICA_FETCHER_CONFIG,
    /** After records from the leader are appended: wakes consumer fetches parked on this replica (KIP-392). */
    private readonly onAppend: (partition: Partition) => void = () => {},
    /** The topic's follower.replication.throttled.replicas value, if set. */
    private readonly throttledReplicas: (partition: Partition) => string | undefined = () => undefined,
    /** TLS and SASL of the inter-broker listener. */
    security: BrokerChannelSecurity = PLAINTEXT_CHANNEL
  ) {
    this.connection = new BrokerConnection(endpoint, `samsa-replica-fetcher-${localBrokerId}`, security)
  }

  get size(): number {
    return this.states.size
  }

  /** Follows `partition` at its current leader epoch (re-truncating when the epoch is new). */
  addPartition(partition: Partition): void {
    const key = keyOf(partition)
    const existing = this.states.get(key)
    if (existing?.partition === partition && existing.leaderEpoch === partition.leaderEpoch) return
    this.states.set(key, { partition, leaderEpoch: partition.leaderEpoch, truncating: true })
    this.wakeUp()
    if (this.loop === null && !this.stopped) {
      this.loop = this.run().finally(() => {
        this.loop = null
      })
    }
  }

  removePartition(key: string): void {
    this.states.delete(key)
  }

  async shutdown(): Promise<void> {
    this.stopped = true
    this.states.clear()
    this.wakeUp()
    this.connection.close()
    await this.loop
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.states.size > 0) {
      let failed = false
      try {
        failed = await this.truncateDiverged()
        if (!this.stopped) failed = (await this.fetchOnce()) || failed
      } catch (err) {
        failed = true
        if (!this.stopped) this.onError(err, `replica fetch from broker ${this.leaderId}`)
      }
      if (failed && !this.stopped) await this.sleep(this.config.backoffMs)
    }
  }

  /** Truncates every partition that starts a new leader epoch; true when some partition failed. */
  private async truncateDiverged(): Promise<boolean> {
    const pending = [...this.states.values()].filter((s) => s.truncating)
    if (pending.length === 0) return false
    const request: OffsetForLeaderEpochRequest = {
      replicaId: this.localBrokerId,
      topics: groupByTopic(pending, (s) => ({
        partition: s.partition.partitionIndex,
        currentLeaderEpoch: s.leaderEpoch,
        leaderEpoch: s.partition.log.leaderEpochCache.latestEpoch() ?? -1
      })).map(([topic, partitions]) => ({ topic, partitions }))
    }
    const response = await this.connection.request<OffsetForLeaderEpochResponse>(
      OffsetForLeaderEpochApi.apiKey,
      OFFSET_FOR_LEADER_EPOCH_VERSION,
      request,
      10_000
    )
    let failed = false
    for (const t of response.topics) {
      for (const r of t.partitions) {
        const state = this.states.get(`${t.topic}-${r.partition}`)
        if (state === undefined || !pending.includes(state)) continue
        if (r.errorCode !== ErrorCode.NONE) {
          // Typically UNKNOWN_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER: the leader has not seen the change yet.
          failed = true
          continue
        }
        const log = state.partition.log
        const truncation = offsetTruncationState(
          { leaderEpoch: r.leaderEpoch ?? -1, endOffset: Number(r.endOffset) },
          log.leaderEpochCache,
          log.logEndOffset,
          log.highWatermark
        )
        const cut = truncation.offset < log.logEndOffset
        if (cut) await log.truncateTo(truncation.offset)
        // Not completed: the follower lacked the leader's epoch and asks again with its older latest epoch
        // (which the cut made older; without a cut asking again would get the same answer).
        if (!truncation.truncationCompleted && cut) continue
        state.truncating = false
      }
    }
    return failed
  }

  /** One Fetch for every partition past truncation; true when some partition failed. */
  private async fetchOnce(): Promise<boolean> {
    let ready = [...this.states.values()].filter((s) => !s.truncating)
    if (ready.length === 0) return false
    const throttle = this.config.throttle
    const isThrottled = (s: FetchState): boolean =>
      throttle !== undefined &&
      isFollowerThrottled(
        s.partition.registration.isr,
        s.partition.partitionIndex,
        this.localBrokerId,
        this.throttledReplicas(s.partition)
      )
    if (throttle && !throttle.hasCapacity()) {
      const unthrottled = ready.filter((s) => !isThrottled(s))
      if (unthrottled.length === 0) {
        await this.sleep(throttle.waitMs())
        return false
      }
      ready = unthrottled
    }
    const request: FetchRequest = {
      replicaId: this.localBrokerId,
      maxWaitMs: this.config.maxWaitMs,
      minBytes: 1,
      maxBytes: this.config.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: groupByTopic(ready, (s) => ({
        partition: s.partition.partitionIndex,
        currentLeaderEpoch: s.leaderEpoch,
        fetchOffset: BigInt(s.partition.log.logEndOffset),
        lastFetchedEpoch: s.partition.log.leaderEpochCache.latestEpoch() ?? -1,
        logStartOffset: BigInt(s.partition.log.logStartOffset),
        // A throttled replica never takes more than one second's worth in one response.
        partitionMaxBytes: isThrottled(s)
          ? Math.min(this.config.partitionMaxBytes, throttle!.bytesPerSecond)
          : this.config.partitionMaxBytes
      })).map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: ''
    }
    const response = await this.connection.request<FetchResponse>(
      FetchApi.apiKey,
      FETCH_VERSION,
      request,
      this.config.maxWaitMs + 10_000
    )
    if ((response.errorCode ?? ErrorCode.NONE) !== ErrorCode.NONE) {
      throw new KafkaError(response.errorCode!, `fetch from broker ${this.leaderId} failed`)
    }
    let failed = false
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const state = this.states.get(`${t.topic}-${p.partitionIndex}`)
        // A state replaced (new epoch) or removed while the fetch was out: its answer no longer applies.
        if (state === undefined || !ready.includes(state) || state.truncating) continue
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          failed = (await this.handleOutOfRange(state, Number(p.logStartOffset ?? -1n))) || failed
        } else if (p.errorCode !== ErrorCode.NONE) {
          failed = true
        } else if (isDiverging(p.divergingEpoch)) {
          // The records are not taken, nor the high watermark: the next fetch, from the cut, brings both.
          const log = state.partition.log
          const truncation = offsetTruncationState(
            { leaderEpoch: p.divergingEpoch.epoch, endOffset: Number(p.divergingEpoch.endOffset) },
            log.leaderEpochCache,
            log.logEndOffset,
            log.highWatermark
          )
          if (truncation.offset < log.logEndOffset) {
            await log.truncateTo(truncation.offset)
            this.onAppend(state.partition)
          } else {
            // Nothing to cut yet the leader says the logs diverge: back off rather than ask again at once.
            failed = true
          }
        } else {
          if (isThrottled(state)) throttle?.record(p.records?.length ?? 0)
          await state.partition.appendRecordsToFollower(p.records ?? EMPTY, Number(p.highWatermark))
          this.onAppend(state.partition)
        }
      }
    }
    return failed
  }

  /**
   * OFFSET_OUT_OF_RANGE (Kafka's handleOutOfRangeError): a follower whose log ends before the leader's log
   * start (the leader deleted records or applied retention while it was away) can never fetch what it
   * misses, so it drops its whole log and starts at the leader's log start. Otherwise the follower is ahead
   * of the leader and truncates by leader epoch again, after the usual back-off. True when it backs off.
   */
  private async handleOutOfRange(state: FetchState, leaderLogStartOffset: number): Promise<boolean> {
    const log = state.partition.log
    if (leaderLogStartOffset > log.logEndOffset) {
      this.onError(
        new Error(
          `${keyOf(state.partition)}: log end ${log.logEndOffset} is below the leader's log start ` +
            `${leaderLogStartOffset}; truncating fully and starting there`
        ),
        `replica fetch from broker ${this.leaderId}`
      )
      await log.truncateFullyAndStartAt(leaderLogStartOffset)
      return false
    }
    state.truncating = true
    return true
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = null
        resolve()
      }, ms)
      this.sleeping = {
        timer,
        wake: () => {
          clearTimeout(timer)
          this.sleeping = null
          resolve()
        }
      }
    })
  }

  private wakeUp(): void {
    this.sleeping?.wake()
  }
}

/** The default divergingEpoch is {-1, -1}: only a real epoch and end offset mean the logs diverged. */
function isDiverging(
  e: { epoch: number; endOffset: bigint } | undefined
): e is { epoch: number; endOffset: bigint } {
  return e !== undefined && e.epoch >= 0 && e.endOffset >= 0n
}

function keyOf(partition: Partition): string {
  return `${partition.topic}-${partition.partitionIndex}`
}

function groupByTopic<T>(states: readonly FetchState[], entry: (s: FetchState) => T): [string, T[]][] {
  const byTopic = new Map<string, T[]>()
  for (const s of states) {
    let list = byTopic.get(s.partition.topic)
    if (list === undefined) {
      list = []
      byTopic.set(s.partition.topic, list)
    }
    list.push(entry(s))
  }
  return [...byTopic.entries()]
}
