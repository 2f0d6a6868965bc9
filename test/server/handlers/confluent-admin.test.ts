import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { BrokerProcess } from '../../helpers/broker-process.js'

const run = promisify(execFile)

/**
 * librdkafka's AdminClient through python3-confluent-kafka 1.7.0 (which has no incremental_alter_configs:
 * its alter_configs sends AlterConfigs). Prints one JSON object of what each call returned.
 */
const SCRIPT = `
import json, sys
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
from confluent_kafka import KafkaException

admin = AdminClient({'bootstrap.servers': sys.argv[1]})
out = {}

def code_of(future):
    try:
        future.result(timeout=10)
        return 0
    except KafkaException as e:
        return e.args[0].code()

fs = admin.create_topics([NewTopic('py-topic', 3, 1, config={'retention.ms': '90000'}),
                          NewTopic('py-bad', 0, 1)], request_timeout=10)
out['create'] = {t: code_of(f) for t, f in fs.items()}
out['create_again'] = code_of(admin.create_topics([NewTopic('py-topic', 1, 1)])['py-topic'])
out['create_validate'] = code_of(admin.create_topics([NewTopic('py-dry', 1, 1)], validate_only=True)['py-dry'])

md = admin.list_topics(timeout=10)
out['topics'] = {n: len(t.partitions) for n, t in md.topics.items()}

out['grow'] = code_of(admin.create_partitions([NewPartitions('py-topic', 4)])['py-topic'])
out['shrink'] = code_of(admin.create_partitions([NewPartitions('py-topic', 2)])['py-topic'])

res = ConfigResource(ConfigResource.Type.TOPIC, 'py-topic')
entries = admin.describe_configs([res])[res].result(timeout=10)
out['described'] = {k: [v.value, int(v.source)] for k, v in entries.items() if k in ('retention.ms', 'cleanup.policy')}

res = ConfigResource(ConfigResource.Type.TOPIC, 'py-topic', set_config={'cleanup.policy': 'compact'})
out['alter'] = code_of(admin.alter_configs([res])[res])
bad = ConfigResource(ConfigResource.Type.TOPIC, 'py-topic', set_config={'cleanup.policy': 'shred'})
out['alter_bad'] = code_of(admin.alter_configs([bad])[bad])
res = ConfigResource(ConfigResource.Type.TOPIC, 'py-topic')
entries = admin.describe_configs([res])[res].result(timeout=10)
out['after_alter'] = {k: [v.value, int(v.source)] for k, v in entries.items() if k in ('retention.ms', 'cleanup.policy')}
missing = ConfigResource(ConfigResource.Type.TOPIC, 'py-missing')
out['describe_missing'] = code_of(admin.describe_configs([missing])[missing])
broker = ConfigResource(ConfigResource.Type.BROKER, '1')
out['broker_entries'] = len(admin.describe_configs([broker])[broker].result(timeout=10))

out['delete'] = code_of(admin.delete_topics(['py-topic'], operation_timeout=10)['py-topic'])
out['delete_missing'] = code_of(admin.delete_topics(['py-missing'])['py-missing'])
out['after_delete'] = sorted(admin.list_topics(timeout=10).topics.keys())
print(json.dumps(out))
`

describe('confluent-kafka (librdkafka) AdminClient against a real broker', () => {
  let broker: BrokerProcess

  before(async () => {
    broker = await BrokerProcess.start()
  })

  after(async () => {
    await broker?.stop()
  })

  it('creates, describes, alters and deletes topics with exact error codes', async () => {
    const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, broker.bootstrap], { timeout: 60_000 })
    const out = JSON.parse(stdout) as Record<string, unknown>
    assert.deepEqual(out.create, { 'py-topic': 0, 'py-bad': 37 })
    assert.equal(out.create_again, 36)
    assert.equal(out.create_validate, 0)
    assert.equal((out.topics as Record<string, number>)['py-topic'], 3)
    assert.equal((out.topics as Record<string, number>)['py-dry'], undefined)
    assert.equal(out.grow, 0)
    assert.equal(out.shrink, 37)
    assert.deepEqual(out.described, { 'retention.ms': ['90000', 1], 'cleanup.policy': ['delete', 5] })
    assert.equal(out.alter, 0)
    assert.equal(out.alter_bad, 40)
    // AlterConfigs replaced the whole override set: retention.ms is back to its default.
    assert.deepEqual(out.after_alter, { 'retention.ms': ['604800000', 5], 'cleanup.policy': ['compact', 1] })
    assert.equal(out.describe_missing, 3)
    assert.ok((out.broker_entries as number) > 20)
    assert.equal(out.delete, 0)
    assert.equal(out.delete_missing, 3)
    assert.deepEqual(out.after_delete, [])
  })
})
