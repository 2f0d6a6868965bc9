import { Etcd3, type IKeyValue, type Namespace } from 'etcd3'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import { clusterPrefix } from './etcd-keys.js'
import { type EtcdTlsCredentials, etcdClientOptions } from './etcd-tls-credentials.js'

/**
 * The cluster-wide producer id counter, relative to the cluster prefix: the first id not yet reserved, in
 * decimal. Kept apart from etcd-keys.ts' metadata layout because the metadata mirror does not follow it.
 */
export const PRODUCER_ID_BLOCK_KEY = 'producer_id_block'

/**
 * A reserved range of ids, shaped like the coordinator's ProducerIdBlock (src/cluster must not import the
 * coordinators, so the broker plugs this source into ProducerIdManager structurally).
 */
export interface ReservedProducerIdBlock {
  readonly firstProducerId: bigint
  readonly size: number
}

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
const BLOCK_SIZE = 1000
const MAX_PRODUCER_ID = (1n << 63n) - 1n
/** Every broker races for the same key only when several run out at once; a few rounds always settle it. */
const MAX_ATTEMPTS = 30

export interface EtcdProducerIdBlockSourceOptions {
  readonly endpoints: readonly string[]
  /** TLS to https endpoints (absent: plain http). */
  readonly tls?: EtcdTlsCredentials | null
  readonly clusterName: string
  readonly blockSize?: number
}

/**
 * Reserves producer id blocks from one counter shared by every broker of a cluster, which is what Kafka
 * achieves by sending AllocateProducerIds to the controller: each reservation is an etcd transaction that
 * advances the counter only if nobody moved it since it was read (its mod revision), so two brokers never
 * get overlapping blocks, and a block is handed out only once etcd has committed it (durably, on a quorum),
 * so ids never repeat after a crash either; a crash merely skips the unused rest of a block.
 *
 * Ownership: one per broker; calls may overlap (each is its own compare-and-swap).
 */
export class EtcdProducerIdBlockSource {
  private readonly blockSize: number

  constructor(
    private readonly kv: Namespace,
    blockSize = BLOCK_SIZE,
    private readonly onClose: () => void = () => undefined
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`invalid block size ${blockSize}`)
    this.blockSize = blockSize
  }

  /** A source with its own etcd client, under the cluster's prefix; connects on the first allocation. */
  static connect(options: EtcdProducerIdBlockSourceOptions): EtcdProducerIdBlockSource {
    const client = new Etcd3(etcdClientOptions(options.endpoints, options.tls))
    return new EtcdProducerIdBlockSource(
      client.namespace(clusterPrefix(options.clusterName)),
      options.blockSize ?? BLOCK_SIZE,
      () => client.close()
    )
  }

  async allocateBlock(): Promise<ReservedProducerIdBlock> {
    let current: IKeyValue | undefined = (await this.kv.get(PRODUCER_ID_BLOCK_KEY).exec()).kvs[0]
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const start = current ? parseCounter(current.value.toString()) : 0n
      const end = start + BigInt(this.blockSize)
      if (end - 1n > MAX_PRODUCER_ID) {
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'producer ids are exhausted')
      }
      // Absent: only the first reservation may create it. Present: only if unchanged since we read it.
      const txn = current
        ? this.kv.if(PRODUCER_ID_BLOCK_KEY, 'Mod', '==', current.mod_revision)
        : this.kv.if(PRODUCER_ID_BLOCK_KEY, 'Create', '==', 0)
      const reply = await txn
        .then(this.kv.put(PRODUCER_ID_BLOCK_KEY).value(end.toString()))
        .else(this.kv.get(PRODUCER_ID_BLOCK_KEY))
        .commit()
      if (reply.succeeded) return { firstProducerId: start, size: this.blockSize }
      // Another broker won the round; its counter (returned by the else branch) is the next starting point.
      current = reply.responses[0]?.response_range?.kvs[0]
      // A random pause that grows with each lost round keeps brokers that lost together from colliding again in
      // lockstep; it must outgrow an etcd round trip, which is tens of milliseconds on a loaded machine.
      const pauseMs = Math.random() * Math.min(250, 10 * 2 ** attempt)
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
    throw new KafkaError(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
      `could not reserve a producer id block after ${MAX_ATTEMPTS} contended attempts`
    )
  }

  close(): void {
    this.onClose()
  }
}

function parseCounter(text: string): bigint {
  // A value we cannot read must stop allocation: restarting from 0 would repeat ids.
  if (!/^\d+$/.test(text))
    throw new Error(`${PRODUCER_ID_BLOCK_KEY} holds ${JSON.stringify(text)}, not an id`)
  return BigInt(text)
}
