/**
 * A TLS listener must not keep a broker from shutting down because of peers that never finished their
 * handshake: one that connected and went away (half-open, no TLS event at all) and one still connected
 * but silent. Before the fix, KafkaServer.shutdown() waited on both forever.
 */

import assert from 'node:assert/strict'
import { type Socket, connect as tcpConnect } from 'node:net'
import { test } from 'node:test'
import { defaultHandlers } from '../../src/server/handlers/index.js'
import { startInProcessBroker } from '../helpers/in-process-broker.js'
import { createTestCertificates, opensslAvailable } from '../helpers/test-certificates.js'
import { requirePeer } from '../helpers/test-peers.js'

const connectTo = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = tcpConnect({ port, host: '127.0.0.1' }, () => resolve(s))
    s.once('error', reject)
  })

test('shutdown completes with peers stuck before the TLS handshake', {
  skip: requirePeer('openssl', opensslAvailable, 'apt-get install openssl'),
  timeout: 20_000
}, async () => {
  const certs = await createTestCertificates()
  const { server } = await startInProcessBroker({
    handlers: defaultHandlers(),
    props: {
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.path('server.pem')
    }
  })
  const port = server.boundEndPoints[0]!.port
  const gone = await connectTo(port)
  gone.end()
  const silent = await connectTo(silentPort(port))
  silent.on('error', () => undefined)
  await new Promise((r) => setTimeout(r, 200))
  const started = Date.now()
  await server.shutdown()
  // Far below the 10 s handshake timeout: the stuck sockets were destroyed, not waited out.
  assert.ok(Date.now() - started < 5_000, `shutdown took ${Date.now() - started} ms`)
  silent.destroy()
})

function silentPort(port: number): number {
  return port
}
