import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { ApiVersionsApi, type ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js'
import { ConnectionQuotas, normalizeIp, parsePerIpOverrides } from '../../src/server/connection-quotas.js'
import type { KafkaServer } from '../../src/server/kafka-server.js'
import { ClientQuotas } from '../../src/server/quota/client-quotas.js'
import { startInProcessBroker } from '../helpers/in-process-broker.js'
import { RawKafkaClient } from '../helpers/raw-kafka-client.js'

const API_VERSIONS = ApiVersionsApi.apiKey

async function apiVersions(client: RawKafkaClient, correlationId: number, timeoutMs = 5000): Promise<void> {
  client.send(
    { requestApiKey: API_VERSIONS, requestApiVersion: 3, correlationId, clientId: 't' },
    { clientSoftwareName: 't', clientSoftwareVersion: '1' }
  )
  const { body } = await client.nextResponse<ApiVersionsResponse>(API_VERSIONS, 3, timeoutMs)
  assert.equal(body.errorCode, ErrorCode.NONE)
}

describe('ConnectionQuotas', () => {
  const config = (props: Record<string, string>) => new KafkaConfig(new Map(Object.entries(props)))

  it('reads max.connections.per.ip.overrides and counts IPv4-mapped addresses as IPv4', () => {
    assert.deepEqual(
      [...parsePerIpOverrides('127.0.0.1:5, ::1:7')],
      [
        ['127.0.0.1', 5],
        ['::1', 7]
      ]
    )
    assert.throws(() => parsePerIpOverrides('localhost'), /host:count/)
    assert.equal(normalizeIp('::ffff:10.1.2.3'), '10.1.2.3')
    const quotas = new ConnectionQuotas(
      config({ 'max.connections.per.ip': '1', 'max.connections.per.ip.overrides': '10.0.0.9:2' })
    )
    assert.equal(quotas.admit('PLAINTEXT', '10.0.0.1').kind, 'accepted')
    assert.deepEqual(quotas.admit('PLAINTEXT', '::ffff:10.0.0.1'), { kind: 'too-many', max: 1 })
    assert.equal(quotas.admit('PLAINTEXT', '10.0.0.9').kind, 'accepted')
    assert.equal(quotas.admit('PLAINTEXT', '10.0.0.9').kind, 'accepted')
    assert.equal(quotas.admit('PLAINTEXT', '10.0.0.9').kind, 'too-many')
    quotas.release('PLAINTEXT', '10.0.0.1')
    assert.equal(quotas.admit('PLAINTEXT', '10.0.0.1').kind, 'accepted')
  })

  it('max.connections per listener and for the broker, the inter-broker listener exempt from the latter', () => {
    const quotas = new ConnectionQuotas(
      config({
        listeners: 'PLAINTEXT://127.0.0.1:0,EXTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT',
        'max.connections': '2',
        'listener.name.external.max.connections': '1'
      })
    )
    assert.equal(quotas.slotAvailable('EXTERNAL'), true)
    quotas.admit('EXTERNAL', '10.0.0.1')
    assert.equal(quotas.slotAvailable('EXTERNAL'), false, 'the listener limit')
    quotas.admit('PLAINTEXT', '10.0.0.2')
    quotas.admit('PLAINTEXT', '10.0.0.3')
    assert.equal(quotas.slotAvailable('PLAINTEXT'), true, 'PLAINTEXT is the inter-broker listener')
    quotas.release('EXTERNAL', '10.0.0.1')
    assert.equal(quotas.slotAvailable('EXTERNAL'), false, 'the broker-wide limit')
  })

  it('max.connection.creation.rate delays connections once the rate is over it', () => {
    let now = 0
    const quotas = new ConnectionQuotas(
      config({
        'max.connection.creation.rate': '2',
        'quota.window.num': '2',
        listeners: 'PLAINTEXT://:0,X://:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,X:PLAINTEXT'
      }),
      () => now
    )
    assert.equal(quotas.recordCreation('X'), 0)
    assert.equal(quotas.recordCreation('X'), 0)
    assert.ok(quotas.recordCreation('X') > 0)
    now = 5000
    assert.equal(quotas.recordCreation('X'), 0)
  })
})

describe('connection quotas on a broker', () => {
  const servers: KafkaServer[] = []
  after(async () => {
    for (const s of servers) await s.shutdown()
  })

  it('max.connections.per.ip closes the extra connection at once while the others keep working', async () => {
    const { server, port } = await startInProcessBroker({
      props: { 'max.connections.per.ip': '2' },
      shutdownGraceMs: 100
    })
    servers.push(server)
    const first = await RawKafkaClient.connect(port)
    const second = await RawKafkaClient.connect(port)
    await apiVersions(first, 1)
    await apiVersions(second, 1)
    const third = await RawKafkaClient.connect(port)
    assert.equal(await third.waitForClose(2000), true, 'the third connection from 127.0.0.1 is closed')
    await apiVersions(first, 2)
    await apiVersions(second, 2)
    first.close()
    // Once one closes, a new connection is served.
    let fourth: RawKafkaClient | undefined
    for (let attempt = 0; attempt < 20 && fourth === undefined; attempt++) {
      const c = await RawKafkaClient.connect(port)
      try {
        await apiVersions(c, 1, 500)
        fourth = c
      } catch {
        c.close()
      }
    }
    assert.ok(fourth, 'a connection is accepted again once one has closed')
    fourth.close()
    second.close()
  })

  it('max.connections keeps an extra connection waiting, unserved, until one closes', async () => {
    const { server } = await startInProcessBroker({
      props: {
        'max.connections': '1',
        listeners: 'PLAINTEXT://127.0.0.1:0,CLIENT://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CLIENT:PLAINTEXT'
      },
      shutdownGraceMs: 100
    })
    servers.push(server)
    const clientPort = server.boundEndPoints.find((e) => e.listenerName === 'CLIENT')?.port
    assert.ok(clientPort)
    const first = await RawKafkaClient.connect(clientPort)
    await apiVersions(first, 1)
    const second = await RawKafkaClient.connect(clientPort)
    await assert.rejects(apiVersions(second, 1, 500), /timed out/)
    assert.equal(second.closed, false)
    first.close()
    const { body } = await second.nextResponse<ApiVersionsResponse>(API_VERSIONS, 3, 5000)
    assert.equal(body.errorCode, ErrorCode.NONE)
    second.close()
  })

  it('connection_creation_rate of the <default> ip entity closes a too-fast connection after its throttle', async () => {
    const quotas = new ClientQuotas({ samples: 2, windowMs: 1000 }, { samples: 2, windowMs: 1000 })
    const { server, port } = await startInProcessBroker({
      props: { 'quota.window.num': '2' },
      quotas,
      shutdownGraceMs: 100
    })
    servers.push(server)
    quotas.apply({ version: 1n, quotas: [{ entity: { ip: null }, values: { connection_creation_rate: 1 } }] })
    const first = await RawKafkaClient.connect(port)
    await apiVersions(first, 1)
    const start = Date.now()
    const second = await RawKafkaClient.connect(port)
    assert.equal(await second.waitForClose(5000), true)
    const closedAfter = Date.now() - start
    assert.ok(closedAfter >= 300, `closed after ${closedAfter} ms, not at once`)
    await apiVersions(first, 2)
    first.close()
  })
})
