import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/index.js'
import type { ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js'
import { Reader } from '../../src/protocol/reader.js'
import { BrokerProcess } from '../helpers/broker-process.js'
import { RawKafkaClient } from '../helpers/raw-kafka-client.js'

const API_VERSIONS = 18
const MAX_REQUEST_BYTES = 4096

function apiVersionsFrame(correlationId: number, version: number): Buffer {
  const body = version >= 3 ? { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' } : {}
  return encodeRequestFrame(
    { requestApiKey: API_VERSIONS, requestApiVersion: version, correlationId, clientId: 't' },
    body
  )
}

/** A request frame whose header says ApiVersions at `version`, for versions the codec cannot encode. */
function rawHeaderFrame(
  apiKey: number,
  version: number,
  correlationId: number,
  rest: Buffer = Buffer.alloc(0)
) {
  const frame = Buffer.alloc(4 + 8 + rest.length)
  frame.writeInt32BE(8 + rest.length, 0)
  frame.writeInt16BE(apiKey, 4)
  frame.writeInt16BE(version, 6)
  frame.writeInt32BE(correlationId, 8)
  rest.copy(frame, 12)
  return frame
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  return Number(kb) * 1024
}

describe('SocketServer (real broker process)', () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await BrokerProcess.start({ overrides: [`socket.request.max.bytes=${MAX_REQUEST_BYTES}`] })
  })
  after(async () => {
    const exit = await broker.stop('SIGTERM')
    assert.equal(exit.code, 0)
  })

  it('answers pipelined ApiVersions requests of every version in order', async () => {
    const client = await RawKafkaClient.connect(broker.port)
    try {
      const versions = [0, 1, 2, 3, 4, 3, 2, 1, 0, 4, 4, 4]
      client.write(Buffer.concat(versions.map((v, i) => apiVersionsFrame(100 + i, v))))
      for (const [i, v] of versions.entries()) {
        const { correlationId, body } = await client.nextResponse<ApiVersionsResponse>(API_VERSIONS, v)
        assert.equal(correlationId, 100 + i)
        assert.equal(body.errorCode, ErrorCode.NONE)
        assert.deepEqual(
          body.apiKeys.find((k) => k.apiKey === API_VERSIONS),
          { apiKey: API_VERSIONS, minVersion: 0, maxVersion: 4 }
        )
      }
    } finally {
      client.close()
    }
  })

  it('answers an unsupported ApiVersions version with a v0 UNSUPPORTED_VERSION body and keeps the connection', async () => {
    const client = await RawKafkaClient.connect(broker.port)
    try {
      // v5 with a flexible-style header (client id, empty tagged fields) and body, as a newer client would send.
      const rest = Buffer.from([0x00, 0x01, 0x74, 0x00, 0x01, 0x00])
      client.write(rawHeaderFrame(API_VERSIONS, 5, 41, rest))
      const frame = await client.nextFrame()
      assert.ok(frame)
      // Response header v0: the correlation id only, then the v0 body.
      const { correlationId, body } = decodeResponseFrame(API_VERSIONS, 0, frame) as {
        correlationId: number
        body: ApiVersionsResponse
      }
      assert.equal(correlationId, 41)
      assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION)
      assert.deepEqual(body.apiKeys, [{ apiKey: API_VERSIONS, minVersion: 0, maxVersion: 4 }])
      const r = new Reader(frame, 4)
      assert.equal(r.readInt16(), 35)
      assert.equal(r.readInt32(), 1)
      r.offset += 6
      assert.equal(r.remaining, 0, 'a v0 body has no throttle time or tagged fields')

      // kafkajs parses the same bytes with its own decoder and recognises the error it retries on.
      const { decode } = (await import(
        'kafkajs/src/protocol/requests/apiVersions/v0/response.js' as string
      )) as {
        decode(raw: Buffer): Promise<unknown>
      }
      await assert.rejects(
        decode(frame.subarray(4)),
        (err: { type?: string }) => err.type === 'UNSUPPORTED_VERSION'
      )

      client.write(apiVersionsFrame(42, 3))
      assert.equal((await client.nextResponse(API_VERSIONS, 3)).correlationId, 42)
    } finally {
      client.close()
    }
  })

  it('closes the connection on an oversized size prefix, before the payload, and keeps serving others', async () => {
    const other = await RawKafkaClient.connect(broker.port)
    const client = await RawKafkaClient.connect(broker.port)
    try {
      const prefix = Buffer.alloc(4)
      prefix.writeInt32BE(MAX_REQUEST_BYTES + 1)
      client.write(prefix)
      assert.equal(await client.waitForClose(), true)
      other.write(apiVersionsFrame(1, 0))
      assert.equal((await other.nextResponse(API_VERSIONS, 0)).correlationId, 1)
      await broker.waitForLog(
        (l) => l.msg === 'closing connection' && String(l.reason).includes('Invalid receive')
      )
    } finally {
      client.close()
      other.close()
    }
  })

  it('answers the requests before a bad frame, then closes', async () => {
    const client = await RawKafkaClient.connect(broker.port)
    try {
      const prefix = Buffer.alloc(4)
      prefix.writeInt32BE(-1)
      client.write(Buffer.concat([apiVersionsFrame(9, 0), prefix]))
      assert.equal((await client.nextResponse(API_VERSIONS, 0)).correlationId, 9)
      assert.equal(await client.waitForClose(), true)
    } finally {
      client.close()
    }
  })

  it('closes only the connection that sends garbage', async () => {
    const other = await RawKafkaClient.connect(broker.port)
    try {
      const garbage = [
        // Random bytes in a well-formed frame: an unknown api key.
        rawHeaderFrame(0x7a3c, 0x1234, 1, Buffer.from('not kafka at all')),
        // ApiVersions v3 whose body is cut short: a ProtocolDecodeError.
        rawHeaderFrame(API_VERSIONS, 3, 2, Buffer.from([0x00, 0x01, 0x74, 0x00, 0x09, 0x61])),
        // Shorter than a request header.
        Buffer.from([0, 0, 0, 3, 1, 2, 3]),
        // An API this broker does not serve (LeaderAndIsr is controller-to-broker only): Kafka closes the connection.
        rawHeaderFrame(4, 0, 4, Buffer.from([0, 1, 0x74, 0, 0, 0, 0]))
      ]
      for (const bytes of garbage) {
        const client = await RawKafkaClient.connect(broker.port)
        client.write(bytes)
        assert.equal(
          await client.waitForClose(),
          true,
          `connection not closed after ${bytes.toString('hex')}`
        )
        client.close()
      }
      other.write(apiVersionsFrame(77, 4))
      assert.equal((await other.nextResponse(API_VERSIONS, 4)).correlationId, 77)
    } finally {
      other.close()
    }
  })

  it('gets kafkajs and @platformatic/kafka through ApiVersions', async () => {
    const { Kafka, logLevel } = await import('kafkajs')
    const admin = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 }
    }).admin()
    await admin.connect()
    await admin.disconnect()

    const { Admin } = await import('@platformatic/kafka')
    const platformatic = new Admin({
      clientId: 'samsa-test',
      bootstrapBrokers: [broker.bootstrap],
      retries: 0
    })
    try {
      const apis = await platformatic.listApis()
      assert.deepEqual(
        apis.find((a) => a.apiKey === API_VERSIONS),
        { apiKey: API_VERSIONS, name: 'ApiVersions', minVersion: 0, maxVersion: 4 }
      )
    } finally {
      await platformatic.close()
    }
  })

  it('stops reading from a client that never reads, stays bounded, and resumes when it reads', async () => {
    const socket = connect({ port: broker.port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    socket.pause()
    const rssBefore = await rssBytes(broker.pid)
    const batchSize = 2000
    let sent = 0
    let stalled = false
    const maxRequests = 2_000_000
    while (sent < maxRequests) {
      const batch = Buffer.concat(Array.from({ length: batchSize }, (_, i) => apiVersionsFrame(sent + i, 0)))
      sent += batchSize
      if (!socket.write(batch)) {
        const drained = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 5000)
          socket.once('drain', () => {
            clearTimeout(timer)
            resolve(true)
          })
        })
        if (!drained) {
          stalled = true
          break
        }
      }
    }
    assert.ok(stalled, `the broker kept reading ${sent} requests from a client that never reads`)
    const rssGrowth = (await rssBytes(broker.pid)) - rssBefore
    // Garbage from the requests already served counts too; an unbounded broker would hold every response.
    assert.ok(rssGrowth < 128 * 1024 * 1024, `broker RSS grew by ${rssGrowth} bytes after ${sent} requests`)

    // Now read: every request is answered, in order, and the broker resumes reading the rest.
    let expected = 0
    let pending: Buffer = Buffer.alloc(0)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${expected} of ${sent} responses arrived`)),
        60_000
      )
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
        let pos = 0
        while (pending.length - pos >= 4) {
          const size = pending.readInt32BE(pos)
          if (pending.length - pos < 4 + size) break
          const correlationId = pending.readInt32BE(pos + 4)
          if (correlationId !== expected)
            reject(new Error(`response ${correlationId} arrived, expected ${expected}`))
          expected++
          pos += 4 + size
        }
        pending = pending.subarray(pos)
        if (expected === sent) {
          clearTimeout(timer)
          resolve()
        }
      })
      socket.resume()
    })
    socket.destroy()
  })
})
