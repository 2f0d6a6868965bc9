/**
 * The benchmark scenarios, at full size or (BENCH_SMOKE=1) tiny size. Each runs on a fresh server so peak
 * RSS and CPU belong to that scenario alone. Peers without Kafka's partitions, acks or batch compression
 * run only the scenarios that mean the same thing for them.
 */

export type PeerName = 'samsa' | 'kafka-mock' | 'redis' | 'nats'

export interface Scenario {
  id: string
  title: string
  partitions: number
  size: number
  records: number
  acks: '1' | 'all'
  compression: 'none' | 'lz4' | 'zstd'
  producers: number
  /** Total records/s for a fixed-rate run; 0 = flat out. */
  rate: number
  /** e2e: produce while one consumer follows; catchup: produce first, then measure a cold read of it all. */
  mode: 'e2e' | 'catchup'
  peers: readonly PeerName[]
  /**
   * Samsa runs twice, each on a fresh server with the same driver settings: over a PLAINTEXT listener and over
   * an SSL one (librdkafka security.protocol=ssl), so the two rows give the cost of TLS on this machine.
   */
  comparesTls?: boolean
}

const KAFKA: readonly PeerName[] = ['samsa', 'kafka-mock']
const ALL: readonly PeerName[] = ['samsa', 'kafka-mock', 'redis', 'nats']

export function scenarios(env: NodeJS.ProcessEnv = process.env): Scenario[] {
  const smoke = env.BENCH_SMOKE === '1'
  const scale = (full: number, tiny: number) => (smoke ? tiny : full)
  const catchupMb = smoke ? 1 : Number(env.BENCH_CATCHUP_MB ?? 256)
  const latencyRate = Math.round((50 * 1e6) / 1024)
  const base = { acks: '1', compression: 'none', producers: 1, rate: 0, mode: 'e2e' } as const
  return [
    {
      ...base,
      id: 'p1-100b-acks1',
      title: '1 partition, 100 B, acks=1',
      partitions: 1,
      size: 100,
      records: scale(2_000_000, 2000),
      peers: ALL
    },
    {
      ...base,
      id: 'p1-100b-acksall',
      title: '1 partition, 100 B, acks=all',
      partitions: 1,
      size: 100,
      records: scale(2_000_000, 2000),
      acks: 'all',
      peers: KAFKA
    },
    {
      ...base,
      id: 'p16-1k',
      title: '16 partitions, 1 KiB',
      partitions: 16,
      size: 1024,
      records: scale(200_000, 1000),
      peers: ALL
    },
    {
      ...base,
      id: 'catchup',
      title: `catch-up read of ${catchupMb} MB over 64 partitions, 1 KiB`,
      partitions: 64,
      size: 1024,
      records: Math.max(64, Math.round((catchupMb * 1e6) / 1024)),
      mode: 'catchup',
      peers: ['samsa', 'redis', 'nats']
    },
    {
      ...base,
      id: 'latency-50mbs',
      title: 'e2e latency at a fixed 50 MB/s, 16 partitions, 1 KiB',
      partitions: 16,
      size: 1024,
      rate: latencyRate,
      records: scale(latencyRate * 5, 2000),
      peers: ALL
    },
    {
      ...base,
      id: 'lz4-16p-1k',
      title: 'lz4, 16 partitions, 1 KiB',
      partitions: 16,
      size: 1024,
      records: scale(200_000, 1000),
      compression: 'lz4',
      peers: KAFKA
    },
    {
      ...base,
      id: 'zstd-16p-1k',
      title: 'zstd, 16 partitions, 1 KiB',
      partitions: 16,
      size: 1024,
      records: scale(200_000, 1000),
      compression: 'zstd',
      peers: KAFKA
    },
    {
      ...base,
      id: 'tls-p16-1k',
      title: 'TLS beside plaintext: 16 partitions, 1 KiB, Samsa over PLAINTEXT and over SSL',
      partitions: 16,
      size: 1024,
      records: scale(200_000, 1000),
      peers: ['samsa'],
      comparesTls: true
    },
    {
      ...base,
      id: 'p1000-10producers',
      title: '1,000 partitions, 10 producers, 1 KiB',
      partitions: 1000,
      size: 1024,
      records: scale(50_000, 2000),
      producers: 10,
      peers: KAFKA
    }
  ]
}
