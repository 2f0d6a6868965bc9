import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCode, KafkaError } from '../../src/protocol/error-codes.js'
import { LogConfig, TOPIC_CONFIG_DEFS, topicConfigDef } from '../../src/storage/log-config.js'

function rejects(props: Record<string, string | number>, ...fragments: string[]): void {
  assert.throws(
    () => new LogConfig(props),
    (err: unknown) =>
      err instanceof KafkaError &&
      err.code === ErrorCode.INVALID_CONFIG &&
      fragments.every((f) => err.message.includes(f))
  )
}

test("defaults are Kafka's", () => {
  const c = new LogConfig()
  assert.equal(c.segmentBytes, 1073741824)
  assert.equal(c.segmentMs, 604800000)
  assert.equal(c.retentionMs, 604800000)
  assert.equal(c.retentionBytes, -1)
  assert.deepEqual(c.cleanupPolicy, ['delete'])
  assert.equal(c.maxMessageBytes, 1048588)
  assert.equal(c.indexIntervalBytes, 4096)
  assert.equal(c.segmentIndexBytes, 10485760)
  assert.equal(c.flushMessages, Number.POSITIVE_INFINITY)
  assert.equal(c.messageTimestampType, 'CreateTime')
  assert.equal(LogConfig.defaults()['flush.ms'], '9223372036854775807')
})

test('topic-level names parse from strings and numbers, layered over a base', () => {
  const c = new LogConfig({
    'segment.bytes': '2048',
    'cleanup.policy': 'compact,delete',
    'flush.messages': 1
  })
  assert.equal(c.segmentBytes, 2048)
  assert.deepEqual(c.cleanupPolicy, ['compact', 'delete'])
  const d = c.with({ 'retention.ms': '-1', 'message.timestamp.type': 'LogAppendTime' })
  assert.equal(d.segmentBytes, 2048)
  assert.equal(d.retentionMs, -1)
  assert.equal(d.messageTimestampType, 'LogAppendTime')
  assert.equal(d.toProperties()['cleanup.policy'], 'compact,delete')
  assert.equal(new LogConfig({ 'flush.ms': '9223372036854775807' }).flushMs, Number.POSITIVE_INFINITY)
})

test('bad values name the key and what is allowed', () => {
  rejects({ 'segment.bytes': 'abc' }, 'segment.bytes', 'abc', 'Not a number')
  rejects({ 'segment.bytes': 3 }, 'segment.bytes', 'at least 14')
  rejects({ 'retention.ms': -2 }, 'retention.ms', 'at least -1')
  rejects({ 'cleanup.policy': 'shred' }, 'cleanup.policy', 'delete, compact')
  rejects({ 'message.timestamp.type': 'Now' }, 'message.timestamp.type', 'CreateTime, LogAppendTime')
  rejects({ preallocate: 'maybe' }, 'preallocate', 'true or false')
  rejects({ 'min.cleanable.dirty.ratio': 2 }, 'min.cleanable.dirty.ratio', 'no more than 1')
  rejects({ 'segment.bytes': 2 ** 31 }, 'segment.bytes', 'at most')
  rejects({ 'no.such.key': 1 }, 'no.such.key')
})

test('TOPIC_CONFIG_DEFS is the one table: LogConfig holds its logConfig keys with their printed defaults', () => {
  const held = TOPIC_CONFIG_DEFS.filter((d) => d.logConfig)
  assert.deepEqual([...LogConfig.names].sort(), held.map((d) => d.name).sort())
  const defaults = LogConfig.defaults()
  for (const d of held) assert.equal(defaults[d.name], d.default, d.name)
  // Keys LogConfig does not hold are still topic configs, with Kafka's defaults.
  assert.equal(topicConfigDef('remote.storage.enable')?.default, 'false')
  assert.equal(topicConfigDef('local.retention.ms')?.default, '-2')
  assert.equal(topicConfigDef('no.such.key'), undefined)
  assert.equal(
    new Set(TOPIC_CONFIG_DEFS.map((d) => d.name)).size,
    TOPIC_CONFIG_DEFS.length,
    'each key is defined once'
  )
})

test('retention.bytes has no lower bound, as in Kafka (any negative value: no size limit)', () => {
  assert.equal(new LogConfig({ 'retention.bytes': -5 }).retentionBytes, -5)
})
