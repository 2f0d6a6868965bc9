import { ErrorCode, KafkaError } from '../protocol/error-codes.js'

/**
 * Incremental fetch sessions (KIP-227). A client that opens a session (epoch 0) later sends only the
 * partitions whose fetch state changed, and the broker answers only with partitions whose data or offsets
 * changed. Sessionless clients (epoch -1) always send and receive everything.
 *
 * Ownership: one cache per broker, on its event loop.
 */
export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1
const DEFAULT_MAX_SESSIONS = 1000

/** What the client asked for on one partition, as last sent. */
export interface SessionPartitionRequest {
  topic: string | undefined
  topicId: string | undefined
  partition: number
  fetchOffset: number
  partitionMaxBytes: number
  currentLeaderEpoch: number
  /** KIP-320: the epoch of the last batch the fetcher holds, -1 when unknown (or before v12). */
  lastFetchedEpoch: number
}

/** What the broker last told the client about a partition, to decide what changed. */
interface SessionPartitionState extends SessionPartitionRequest {
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
}

export class FetchSession {
  epoch = 1
  lastUsed: number
  /** Keyed by `topicKey:partition`, in the order the client added them. */
  readonly partitions = new Map<string, SessionPartitionState>()

  constructor(
    readonly id: number,
    now: number
  ) {
    this.lastUsed = now
  }

  upsert(key: string, request: SessionPartitionRequest): void {
    const existing = this.partitions.get(key)
    if (existing) Object.assign(existing, request)
    else this.partitions.set(key, { ...request, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 })
  }

  forget(key: string): void {
    this.partitions.delete(key)
  }

  /**
   * Records what the response says about a partition and returns whether the client must be told: new
   * records, an error, or a moved high watermark, last stable offset or log start offset.
   */
  recordResponse(
    key: string,
    r: {
      errorCode: number
      records: number
      highWatermark: number
      lastStableOffset: number
      logStartOffset: number
      /** A divergingEpoch answer carries no records but must reach the fetcher. */
      diverging?: boolean
    }
  ): boolean {
    const s = this.partitions.get(key)
    if (s === undefined) return true
    const changed =
      r.records > 0 ||
      r.diverging === true ||
      r.errorCode !== ErrorCode.NONE ||
      s.highWatermark !== r.highWatermark ||
      s.lastStableOffset !== r.lastStableOffset ||
      s.logStartOffset !== r.logStartOffset
    s.highWatermark = r.highWatermark
    s.lastStableOffset = r.lastStableOffset
    s.logStartOffset = r.logStartOffset
    return changed
  }
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>()
  private nextId = 1

  constructor(
    private readonly maxSessions = DEFAULT_MAX_SESSIONS,
    private readonly now: () => number = Date.now
  ) {}

  get size(): number {
    return this.sessions.size
  }

  /** Opens a new session, evicting the least recently used one when the cache is full. */
  create(): FetchSession {
    if (this.sessions.size >= this.maxSessions) {
      let oldest: FetchSession | undefined
      for (const s of this.sessions.values()) if (!oldest || s.lastUsed < oldest.lastUsed) oldest = s
      if (oldest) this.sessions.delete(oldest.id)
    }
    let id = this.nextId
    while (id === 0 || this.sessions.has(id)) id = (id + 1) & 0x7fffffff
    this.nextId = (id + 1) & 0x7fffffff
    const session = new FetchSession(id, this.now())
    this.sessions.set(id, session)
    return session
  }

  remove(id: number): void {
    this.sessions.delete(id)
  }

  /**
   * The session for an incremental fetch: FETCH_SESSION_ID_NOT_FOUND when it is unknown (or evicted),
   * INVALID_FETCH_SESSION_EPOCH when the client's epoch is not the one expected next.
   */
  incremental(id: number, epoch: number): FetchSession {
    const session = this.sessions.get(id)
    if (session === undefined)
      throw new KafkaError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND, `no fetch session ${id}`)
    if (session.epoch !== epoch) {
      throw new KafkaError(
        ErrorCode.INVALID_FETCH_SESSION_EPOCH,
        `fetch session ${id} expects epoch ${session.epoch}, got ${epoch}`
      )
    }
    session.epoch = session.epoch === 0x7fffffff ? 1 : session.epoch + 1
    session.lastUsed = this.now()
    return session
  }
}
