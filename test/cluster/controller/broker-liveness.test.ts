import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BrokerLiveness } from '../../../src/cluster/controller/broker-liveness.js'
import type { BrokerRegistration, MetadataImage } from '../../../src/cluster/metadata-store.js'

const broker = (nodeId: number, fenced: boolean): BrokerRegistration => ({
  nodeId,
  host: 'localhost',
  port: 9000 + nodeId,
  rack: null,
  listeners: [],
  brokerEpoch: 1n,
  fenced
})

const image: MetadataImage = {
  clusterId: 'c',
  version: 1n,
  brokers: new Map([
    [1, broker(1, false)],
    [2, broker(2, true)]
  ]),
  topics: new Map(),
  topicConfigs: new Map()
}

test('a broker is live when registered and unfenced, and not while in controlled shutdown', () => {
  const liveness = new BrokerLiveness()
  assert.equal(liveness.isLive(image, 1), true)
  assert.equal(liveness.isLive(image, 2), false, 'fenced')
  assert.equal(liveness.isLive(image, 3), false, 'not registered')
  liveness.beginControlledShutdown(1)
  assert.equal(liveness.isLive(image, 1), false)
  liveness.unfenced(1)
  assert.equal(liveness.isLive(image, 1), true)
})

test('controlled shutdown does not make a fenced broker live when it ends', () => {
  const liveness = new BrokerLiveness()
  liveness.beginControlledShutdown(2)
  liveness.unfenced(2)
  assert.equal(liveness.isLive(image, 2), false)
})
