import type { IKeyValue, Namespace } from 'etcd3'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import type { Unsubscribe } from '../metadata-store.js'
import {
  CONTROLLER_EPOCH_KEY,
  CONTROLLER_KEY,
  decodeJson,
  encodeJson,
  type StoredController
} from './etcd-keys.js'

/** One compare of an etcd transaction, in etcd3's terms. */
export interface Compare {
  readonly key: string
  readonly target: 'Create' | 'Mod' | 'Value' | 'Version' | 'Lease'
  readonly cmp: '==' | '!=' | '>' | '<'
  readonly value: string | number
}

export type LeadershipListener = (isController: boolean, controllerEpoch: number) => void

/**
 * Controller election on etcd, ZooKeeper-era Kafka's scheme on etcd primitives: the controller is whoever
 * created the `controller` key, bound to its session lease, in a transaction that also bumps
 * `controller_epoch` (create-if-absent plus compare on the epoch's revision, so two candidates cannot both
 * win, nor both take the same epoch). When the controller's lease expires etcd deletes the key; every
 * candidate sees the delete on its watch and campaigns again.
 *
 * Fencing: a controller writes only with `guard()` in its transaction, which compares `controller_epoch`
 * with the epoch it won and `controller` with the key it created. A deposed controller (its lease expired,
 * a newer one elected) therefore fails every write in etcd itself, whatever its local view says.
 *
 * Event loop: state changes happen on watch events and transaction replies; listeners run synchronously.
 */
export class ControllerElection {
  private leading: { epoch: number; createRevision: string } | null = null
  private knownController = -1
  private knownEpoch = 0
  /** Revision of the newest controller-key change seen, so a late campaign reply cannot undo it. */
  private lastSeenRevision = 0n
  private campaigning = false
  private readonly listeners = new Set<LeadershipListener>()

  constructor(
    private readonly kv: Namespace,
    private readonly nodeId: number,
    private readonly leaseId: () => string | null
  ) {}

  get isController(): boolean {
    return this.leading !== null
  }

  /** The active controller's node id as last seen, -1 when there is none. */
  get controllerId(): number {
    return this.knownController
  }

  /** The epoch of the active controller (or of the last one, while there is none). */
  get controllerEpoch(): number {
    return this.knownEpoch
  }

  onLeadershipChange(listener: LeadershipListener): Unsubscribe {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** The compares that make a transaction a write of the current controller; NOT_CONTROLLER otherwise. */
  guard(): Compare[] {
    if (!this.leading) {
      throw new KafkaError(
        ErrorCode.NOT_CONTROLLER,
        `Broker ${this.nodeId} is not the active controller (the controller is ${this.knownController}).`
      )
    }
    return [
      { key: CONTROLLER_EPOCH_KEY, target: 'Value', cmp: '==', value: String(this.leading.epoch) },
      { key: CONTROLLER_KEY, target: 'Create', cmp: '==', value: this.leading.createRevision }
    ]
  }

  /** Tries to become controller if there is none; a no-op while one is known or a campaign runs. */
  async campaign(): Promise<void> {
    if (this.campaigning || this.leading || this.knownController !== -1) return
    const lease = this.leaseId()
    if (lease === null) return
    this.campaigning = true
    try {
      const epochKv = (await this.kv.get(CONTROLLER_EPOCH_KEY).exec()).kvs[0]
      const epoch = epochKv ? Number(epochKv.value.toString()) + 1 : 1
      const stored: StoredController = { nodeId: this.nodeId, epoch }
      const reply = await this.kv
        .if(CONTROLLER_KEY, 'Create', '==', 0)
        .and(CONTROLLER_EPOCH_KEY, 'Mod', '==', epochKv?.mod_revision ?? 0)
        .then(
          this.kv.put(CONTROLLER_KEY).value(encodeJson(stored)).lease(lease),
          this.kv.put(CONTROLLER_EPOCH_KEY).value(String(epoch))
        )
        .else(this.kv.get(CONTROLLER_KEY))
        .commit()
      const revision = BigInt(reply.header.revision)
      if (reply.succeeded) {
        // The watch may have brought our own put first; only a later change makes this reply stale.
        if (revision >= this.lastSeenRevision) {
          this.lastSeenRevision = revision
          this.knownController = this.nodeId
          this.knownEpoch = epoch
          this.setLeading({ epoch, createRevision: reply.header.revision })
        }
      } else {
        const current = reply.responses[0]?.response_range?.kvs[0]
        if (current) this.observe('Put', current)
        // Lost a race on the epoch with no controller elected: the watch brings the winner, or we retry.
        else setTimeout(() => void this.campaign().catch(() => undefined), 50).unref()
      }
    } finally {
      this.campaigning = false
    }
  }

  /** A change of the `controller` key, from the watch or a read. */
  observe(type: 'Put' | 'Delete', kv: IKeyValue): void {
    const revision = BigInt(kv.mod_revision)
    if (revision < this.lastSeenRevision) return
    this.lastSeenRevision = revision
    if (type === 'Delete') {
      this.knownController = -1
      this.setLeading(null)
      return
    }
    const stored = decodeJson<StoredController>(kv.value)
    this.knownController = stored.nodeId
    this.knownEpoch = stored.epoch
    if (this.leading && kv.create_revision !== this.leading.createRevision) this.setLeading(null)
    else if (!this.leading && stored.nodeId === this.nodeId && kv.lease === this.leaseId()) {
      // Our own campaign's key, seen before its reply (or after a reconnect): we lead.
      this.setLeading({ epoch: stored.epoch, createRevision: kv.create_revision })
    }
  }

  /** The session lease is gone: whatever etcd says later, this broker no longer leads. */
  sessionLost(): void {
    this.setLeading(null)
  }

  /** Steps down on a clean shutdown so another candidate need not wait for the lease to expire. */
  async resign(): Promise<void> {
    const leading = this.leading
    if (!leading) return
    this.setLeading(null)
    await this.kv
      .if(CONTROLLER_KEY, 'Create', '==', leading.createRevision)
      .then(this.kv.delete().key(CONTROLLER_KEY))
      .commit()
  }

  private setLeading(next: { epoch: number; createRevision: string } | null): void {
    const was = this.leading !== null
    this.leading = next
    if (was === (next !== null)) return
    for (const listener of this.listeners) {
      try {
        listener(next !== null, this.knownEpoch)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }
}
