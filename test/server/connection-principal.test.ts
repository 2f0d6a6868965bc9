/**
 * The principal a handler sees (RequestContext.principal) on each kind of listener of an in-process server:
 * ANONYMOUS on PLAINTEXT and on SSL without a client certificate, `User:<mapped DN>` with one, and the SASL
 * user on SASL listeners. A test handler answers DescribeCluster with the principal as its cluster id.
 */

import assert from 'node:assert/strict'
import { type Socket, connect as tcpConnect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import {
  DescribeClusterApi,
  type DescribeClusterRequest,
  type DescribeClusterResponse
} from '../../src/protocol/messages/describe-cluster.js'
import { formatPrincipal } from '../../src/security/kafka-principal.js'
import type { ApiHandler } from '../../src/server/api-registry.js'
import { defaultHandlers } from '../../src/server/handlers/index.js'
import type { KafkaServer } from '../../src/server/kafka-server.js'
import { startInProcessBroker } from '../helpers/in-process-broker.js'
import { RawKafkaClient } from '../helpers/raw-kafka-client.js'
import {
  createTestCertificates,
  opensslAvailable,
  type TestCertificates
} from '../helpers/test-certificates.js'

const whoAmI: ApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  api: DescribeClusterApi,
  minVersion: 0,
  maxVersion: 0,
  handle: (_request, ctx) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    clusterId: formatPrincipal(ctx.principal),
    controllerId: -1,
    brokers: [],
    clusterAuthorizedOperations: 0
  })
}

async function principalOver(socket: Socket, sasl?: string): Promise<string> {
  const raw = RawKafkaClient.over(socket)
  if (sasl !== undefined) {
    raw.send(
      { requestApiKey: 17, requestApiVersion: 1, correlationId: 1, clientId: 't' },
      { mechanism: 'PLAIN' }
    )
    await raw.nextResponse(17, 1)
    raw.send(
      { requestApiKey: 36, requestApiVersion: 2, correlationId: 2, clientId: 't' },
      { authBytes: Buffer.from(sasl) }
    )
    assert.equal((await raw.nextResponse<{ errorCode: number }>(36, 2)).body.errorCode, 0)
  }
  raw.send(
    { requestApiKey: 60, requestApiVersion: 0, correlationId: 3, clientId: 't' },
    {
      includeClusterAuthorizedOperations: false
    }
  )
  const { body } = await raw.nextResponse<DescribeClusterResponse>(60, 0)
  socket.destroy()
  return body.clusterId
}

describe('the principal handlers see', {
  skip: !opensslAvailable && !process.env.CI ? 'no openssl' : false
}, () => {
  let certs: TestCertificates
  let server: KafkaServer
  let ca: string
  const port = (listener: string) => server.boundEndPoints.find((e) => e.listenerName === listener)!.port
  const tls = (listener: string, identity: { cert?: string; key?: string } = {}) =>
    new Promise<Socket>((resolve, reject) => {
      const s = tlsConnect(
        { port: port(listener), host: '127.0.0.1', ca: [ca], servername: 'localhost', ...identity },
        () => resolve(s)
      )
      s.once('error', reject)
    })
  const tcp = (listener: string) =>
    new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ port: port(listener), host: '127.0.0.1' }, () => resolve(s))
      s.once('error', reject)
    })

  before(async () => {
    certs = await createTestCertificates()
    ca = await certs.text('ca.pem')
    ;({ server } = await startInProcessBroker({
      handlers: [...defaultHandlers(), whoAmI as ApiHandler],
      props: {
        listeners:
          'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.path('server.pem'),
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': certs.path('ca.pem'),
        'ssl.client.auth': 'requested',
        'ssl.principal.mapping.rules': 'RULE:^CN=([^,]*),OU=clients,.*$/$1/U,DEFAULT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";'
      }
    }))
  })
  after(async () => {
    await server?.shutdown()
    await certs?.cleanup()
  })

  it('is ANONYMOUS on PLAINTEXT and on SSL without a client certificate', async () => {
    assert.equal(await principalOver(await tcp('PLAINTEXT')), 'User:ANONYMOUS')
    assert.equal(await principalOver(await tls('SSL')), 'User:ANONYMOUS')
  })

  it('is the client certificate DN mapped by ssl.principal.mapping.rules on SSL', async () => {
    const identity = async (name: string) => ({
      cert: await certs.text(`${name}-cert.pem`),
      key: await certs.text(`${name}-key.pem`)
    })
    assert.equal(await principalOver(await tls('SSL', await identity('alice'))), 'User:ALICE')
    assert.equal(
      await principalOver(await tls('SSL', await identity('mallory'))),
      'User:CN=mallory,OU=outsiders,O=Samsa Tests,C=US'
    )
  })

  it('is the SASL user on SASL listeners, whatever certificate TLS saw', async () => {
    assert.equal(await principalOver(await tcp('SASL_PLAINTEXT'), '\u0000bob\u0000bob-secret'), 'User:bob')
    const alice = { cert: await certs.text('alice-cert.pem'), key: await certs.text('alice-key.pem') }
    assert.equal(await principalOver(await tls('SASL_SSL', alice), '\u0000bob\u0000bob-secret'), 'User:bob')
  })
})
