/** Test kit for the admin handler tests: one raw request/response round trip, and kafkajs without its logs. */

import { Kafka, logLevel } from 'kafkajs'
import { RawKafkaClient } from '../../helpers/raw-kafka-client.js'

let correlationId = 0

/** Sends one request at an exact version on a fresh connection and returns the decoded response body. */
export async function rawRequest<T>(
  port: number,
  apiKey: number,
  apiVersion: number,
  body: unknown
): Promise<T> {
  const client = await RawKafkaClient.connect(port)
  try {
    const id = ++correlationId
    client.send(
      { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId: id, clientId: 'admin-test' },
      body
    )
    const response = await client.nextResponse<T>(apiKey, apiVersion)
    if (response.correlationId !== id)
      throw new Error(`correlation id ${response.correlationId}, expected ${id}`)
    return response.body
  } finally {
    client.close()
  }
}

export function kafkajs(bootstrap: string): Kafka {
  return new Kafka({
    clientId: 'admin-test',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3000,
    requestTimeout: 10_000
  })
}

/** The Kafka error code a kafkajs call failed with, wherever kafkajs nested it (aggregates, retry wrappers). */
export async function kafkajsErrorCode(call: Promise<unknown>): Promise<number> {
  try {
    await call
  } catch (err) {
    const code = findCode(err, 0)
    if (code !== undefined) return code
    throw err
  }
  throw new Error('expected the call to fail')
}

function findCode(err: unknown, depth: number): number | undefined {
  if (typeof err !== 'object' || err === null || depth > 4) return undefined
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown; originalError?: unknown }
  if (typeof e.code === 'number') return e.code
  for (const inner of [...(e.errors ?? []), e.cause, e.originalError]) {
    const code = findCode(inner, depth + 1)
    if (code !== undefined) return code
  }
  return undefined
}
