/**
 * The cost of setting up a connection: one broker process with a PLAINTEXT, an SSL and a SASL_SSL listener
 * (SCRAM-SHA-256 and SCRAM-SHA-512, users made with `samsa storage format --add-scram` before it starts;
 * 4096 iterations, Kafka's default), then N sequential connections per mode, each timed from the TCP connect
 * to the ApiVersions answer:
 *
 * - plaintext: TCP connect + ApiVersions v3
 * - tls: + the TLS handshake (Node's client, verifying the broker certificate against the test CA)
 * - tls+scram-sha-256 / -512: + SaslHandshake v1 and SaslAuthenticate v2 twice (client-first, client-final)
 *   before ApiVersions. The client derives the salted password (PBKDF2) for every connection, as librdkafka
 *   and kafkajs do, so that part of the figure is client CPU.
 *
 * Prints ms per connection (mean, p50, p99) and each mode's mean over plaintext's. Modes alternate in rounds so
 * that a noisy neighbour affects all of them alike; the first round of each mode is a warm-up.
 * Run: npx tsc -p tsconfig.json && node dist/bench/connection-setup.js [connections per mode, default 200]
 * First run (2 shared cores, Node 20, 200 per mode; means, p50 in brackets): plaintext 1.10 ms (0.60), TLS
 * 9.46 ms (4.06), TLS + SCRAM-SHA-256 15.29 ms (7.27), TLS + SCRAM-SHA-512 16.34 ms (8.79); p99s of 80-110 ms
 * with TLS were other engineers' processes on the same cores.
 */

import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { type Socket, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { connect as tlsConnect } from 'node:tls'
import { BrokerProcess, runCli } from '../test/helpers/broker-process.js'
import { RawKafkaClient } from '../test/helpers/raw-kafka-client.js'
import { createTestCertificates } from '../test/helpers/test-certificates.js'

const CONNECTIONS = Number(process.argv[2] ?? 200)
const ROUNDS = 10
const USER = 'bench'
const PASSWORD = 'bench-secret'
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'

type Mode = 'plaintext' | 'tls' | 'tls+scram-sha-256' | 'tls+scram-sha-512'
const MODES: readonly Mode[] = ['plaintext', 'tls', 'tls+scram-sha-256', 'tls+scram-sha-512']

const SCRAM = {
  'SCRAM-SHA-256': { hash: 'sha256', keyLength: 32 },
  'SCRAM-SHA-512': { hash: 'sha512', keyLength: 64 }
} as const
type ScramName = keyof typeof SCRAM

function open(port: number, tls: { ca: string } | null): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tls
      ? tlsConnect({ port, host: '127.0.0.1', ca: [tls.ca], servername: 'localhost' }, () => resolve(s))
      : tcpConnect({ port, host: '127.0.0.1' }, () => resolve(s))
    s.once('error', reject)
  })
}

let correlationId = 0
const header = (apiKey: number, apiVersion: number) => ({
  requestApiKey: apiKey,
  requestApiVersion: apiVersion,
  correlationId: ++correlationId,
  clientId: 'connection-setup'
})

async function saslAuthenticate(raw: RawKafkaClient, bytes: Buffer): Promise<Buffer> {
  raw.send(header(36, 2), { authBytes: bytes })
  const r = await raw.nextResponse<{ errorCode: number; errorMessage: string | null; authBytes: Buffer }>(
    36,
    2
  )
  if (r.body.errorCode !== 0) throw new Error(`SaslAuthenticate: ${r.body.errorCode} ${r.body.errorMessage}`)
  return r.body.authBytes
}

/** RFC 5802 from the client's side, with the server signature checked. */
async function scram(raw: RawKafkaClient, mechanism: ScramName): Promise<void> {
  const { hash, keyLength } = SCRAM[mechanism]
  raw.send(header(17, 1), { mechanism })
  const handshake = await raw.nextResponse<{ errorCode: number }>(17, 1)
  if (handshake.body.errorCode !== 0) throw new Error(`SaslHandshake: ${handshake.body.errorCode}`)
  const clientFirstBare = `n=${USER},r=${randomBytes(18).toString('base64')}`
  const serverFirst = (await saslAuthenticate(raw, Buffer.from(`n,,${clientFirstBare}`))).toString('utf8')
  const fields = new Map(serverFirst.split(',').map((f) => [f.slice(0, 1), f.slice(2)] as const))
  const salt = Buffer.from(fields.get('s') ?? '', 'base64')
  const salted = pbkdf2Sync(PASSWORD, salt, Number(fields.get('i')), keyLength, hash)
  const hmac = (key: Buffer, text: string) => createHmac(hash, key).update(text).digest()
  const clientKey = hmac(salted, 'Client Key')
  const withoutProof = `c=biws,r=${fields.get('r')}`
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
  const signature = hmac(createHash(hash).update(clientKey).digest(), authMessage)
  const proof = Buffer.from(clientKey.map((b, i) => b ^ (signature[i] ?? 0)))
  const serverFinal = (
    await saslAuthenticate(raw, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`))
  ).toString('utf8')
  const expected = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')
  if (serverFinal !== `v=${expected}`) throw new Error(`unexpected server-final-message ${serverFinal}`)
}

async function connection(mode: Mode, ports: Record<string, number>, ca: string): Promise<number> {
  const started = performance.now()
  const port = mode === 'plaintext' ? ports.PLAINTEXT : mode === 'tls' ? ports.SSL : ports.SASL_SSL
  const raw = RawKafkaClient.over(await open(port!, mode === 'plaintext' ? null : { ca }))
  try {
    if (mode === 'tls+scram-sha-256') await scram(raw, 'SCRAM-SHA-256')
    if (mode === 'tls+scram-sha-512') await scram(raw, 'SCRAM-SHA-512')
    raw.send(header(18, 3), { clientSoftwareName: 'samsa-bench', clientSoftwareVersion: '1.0' })
    const versions = await raw.nextResponse<{ errorCode: number }>(18, 3)
    if (versions.body.errorCode !== 0) throw new Error(`ApiVersions: ${versions.body.errorCode}`)
    return performance.now() - started
  } finally {
    raw.close()
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0

async function main(): Promise<void> {
  const certs = await createTestCertificates()
  const dir = await mkdtemp(join(tmpdir(), 'samsa-connection-setup-'))
  const scramUsers = Object.keys(SCRAM).flatMap((m) => [
    '--add-scram',
    `${m}=[name=${USER},password=${PASSWORD}]`
  ])
  const formatted = await runCli(['storage', 'format', '--override', `log.dirs=${dir}`, ...scramUsers])
  if (formatted.code !== 0) throw new Error(`storage format failed: ${formatted.stderr}`)
  const broker = await BrokerProcess.start({
    overrides: [
      `log.dirs=${dir}`,
      'listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${certs.path('server.pem')}`,
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${SCRAM_JAAS}`,
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${SCRAM_JAAS}`
    ]
  })
  try {
    const ca = await certs.text('ca.pem')
    const ports = {
      PLAINTEXT: broker.portOf('PLAINTEXT'),
      SSL: broker.portOf('SSL'),
      SASL_SSL: broker.portOf('SASL_SSL')
    }
    const times = new Map<Mode, number[]>(MODES.map((m) => [m, []]))
    const perRound = Math.max(1, Math.round(CONNECTIONS / ROUNDS))
    for (let round = 0; round <= ROUNDS; round++) {
      for (const mode of MODES) {
        for (let i = 0; i < perRound; i++) {
          const ms = await connection(mode, ports, ca)
          // Round 0 warms up the JIT on both sides and is not counted.
          if (round > 0) times.get(mode)!.push(ms)
        }
      }
    }
    const base = (times.get('plaintext') ?? []).reduce((a, b) => a + b, 0) / perRound / ROUNDS
    console.log(`${perRound * ROUNDS} sequential connections per mode, each up to the ApiVersions answer`)
    for (const mode of MODES) {
      const sorted = [...(times.get(mode) ?? [])].sort((a, b) => a - b)
      const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length
      console.log(
        `${mode.padEnd(18)} mean ${mean.toFixed(2)} ms  p50 ${quantile(sorted, 0.5).toFixed(2)} ms  ` +
          `p99 ${quantile(sorted, 0.99).toFixed(2)} ms  ${(mean / base).toFixed(2)}× plaintext`
      )
    }
  } finally {
    await broker.stop()
    await rm(dir, { recursive: true, force: true })
    await certs.cleanup()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
