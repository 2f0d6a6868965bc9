/**
 * Test kit for consumer-group tests against a real broker: broker overrides that keep rebalances fast,
 * kafkajs clients, topic creation, a numbered-record producer, and bounded polling.
 */

import { createRequire } from 'node:module'
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs')

/**
 * No initial rebalance delay, sessions down to 1 s, and few `__consumer_offsets` partitions so the first
 * FindCoordinator creates the topic quickly.
 */
export const GROUP_BROKER_OVERRIDES: readonly string[] = [
  'group.initial.rebalance.delay.ms=0',
  'group.min.session.timeout.ms=1000',
  'offsets.topic.num.partitions=3'
]

export function kafkajsClient(bootstrap: string, clientId = 'samsa-group-test'): KafkaClient {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 }
  })
}

export async function withAdmin<T>(bootstrap: string, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkajsClient(bootstrap).admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect()
  }
}

export async function createTopic(bootstrap: string, topic: string, numPartitions: number): Promise<void> {
  await withAdmin(bootstrap, async (admin) => {
    await admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 1 }],
      waitForLeaders: true
    })
  })
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or throws on timeout. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/**
 * Produces numbered records (`<prefix>-<n>`, round-robin over partitions) until stopped; `acked` holds the
 * values the broker acknowledged, which are the ones a consumer group must deliver.
 */
export class NumberedProducer {
  readonly acked: string[] = []
  private stopped = false
  private loop: Promise<void> | undefined
  private constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly partitions: number,
    private readonly prefix: string
  ) {}

  static async start(
    bootstrap: string,
    topic: string,
    partitions: number,
    options: { prefix?: string; intervalMs?: number; batch?: number } = {}
  ): Promise<NumberedProducer> {
    const producer = kafkajsClient(bootstrap, 'numbered-producer').producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const p = new NumberedProducer(producer, topic, partitions, options.prefix ?? 'r')
    p.loop = p.run(options.intervalMs ?? 20, options.batch ?? 6)
    return p
  }

  private async run(intervalMs: number, batch: number): Promise<void> {
    let n = 0
    while (!this.stopped) {
      const messages = Array.from({ length: batch }, () => {
        const i = n++
        return { value: `${this.prefix}-${i}`, partition: i % this.partitions }
      })
      await this.producer.send({ topic: this.topic, acks: -1, messages })
      for (const m of messages) this.acked.push(m.value)
      await new Promise((r) => setTimeout(r, intervalMs))
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    try {
      await this.loop
    } finally {
      await this.producer.disconnect()
    }
  }
}
