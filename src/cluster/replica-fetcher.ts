import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import type { FetchRequest, FetchResponse } from '../protocol/messages/fetch.js'
import type {
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse
} from '../protocol/messages/offset-for-leader-epoch.js'
import type { Partition } from './partition.js'
import { ReplicaFetcherConnection } from './replica-fetcher-connection.js'

import type { ReplicationThrottle } from './replication-throttle.js'

const FETCH_API = 1
/** v11: topic names, replicaId in the body, currentLeaderEpoch; the follower truncates by epoch itself. */
const FETCH_VERSION = 11
const OFFSET_FOR_LEADER_EPOCH_API = 23
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
  /** follower.replication.throttled.rate for replicas catching up (absent: unthrottled). */
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
  private readonly connection: ReplicaFetcherConnection
  private loop: Promise<void> | null = null
  private stopped = false
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | null = null

  constructor(
    private readonly localBrokerId: number,
    readonly leaderId: number,
    endpoint: () => { host: string; port: number } | undefined,
    private readonly onError: (err: unknown, what: string) => void,
    private readonly config: ReplicaFetcherConfig = DEFAULT_REPLICA_FETCHER_CONFIG
  ) {
    this.connection = new ReplicaFetcherConnection(endpoint, `samsa-replica-fetcher-${localBrokerId}`)
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
      OFFSET_FOR_LEADER_EPOCH_API,
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
        const leo = log.logEndOffset
        const leaderEpoch = r.leaderEpoch ?? -1
        const endOffset = Number(r.endOffset)
        let target: number
        if (leaderEpoch < 0 || endOffset < 0) {
          // The leader knows none of our epochs: only what was committed is certainly shared.
          target = log.highWatermark
        } else {
          const own = log.leaderEpochCache.endOffsetFor(leaderEpoch, leo)
          target = Math.min(endOffset, own.endOffset >= 0 ? own.endOffset : leo, leo)
        }
        if (target < leo) await log.truncateTo(target)
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
      throttle !== undefined && !s.partition.registration.isr.includes(this.localBrokerId)
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
      FETCH_API,
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
          state.truncating = true
          failed = true
        } else if (p.errorCode !== ErrorCode.NONE) {
          failed = true
        } else {
          if (isThrottled(state)) throttle?.record(p.records?.length ?? 0)
          await state.partition.appendRecordsToFollower(p.records ?? EMPTY, Number(p.highWatermark))
        }
      }
    }
    return failed
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
