/**
 * Drives python3-confluent-kafka (librdkafka 2.0.2) through one small Python program: the test sends a JSON
 * command on stdin and reads a JSON result. Bytes travel as base64 so null stays apart from empty.
 * Only /usr/bin/python3 imports confluent_kafka (another python3 may come first on PATH).
 */

import { runProcess } from './run-process.js'

export const PYTHON = '/usr/bin/python3'

const PROGRAM = `
import base64, json, sys
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

cmd = json.load(sys.stdin)
b = lambda s: None if s is None else base64.b64decode(s)
e = lambda v: None if v is None else base64.b64encode(v).decode()
conf = {'bootstrap.servers': cmd['bootstrap']}
conf.update(cmd.get('config', {}))
out = {}
action = cmd['action']

if action == 'produce':
    p = Producer(conf)
    reports = []
    def report(err, msg):
        reports.append({'error': None if err is None else {'code': err.code(), 'name': err.name(), 'str': err.str()},
                        'partition': msg.partition(), 'offset': msg.offset()})
    for r in cmd['records']:
        kw = {'key': b(r.get('key')), 'value': b(r.get('value')), 'on_delivery': report}
        if r.get('headers') is not None:
            kw['headers'] = [(h[0], b(h[1])) for h in r['headers']]
        if r.get('partition') is not None:
            kw['partition'] = r['partition']
        if r.get('timestamp') is not None:
            kw['timestamp'] = r['timestamp']
        try:
            p.produce(cmd['topic'], **kw)
        except KafkaException as ex:
            err = ex.args[0]
            reports.append({'error': {'code': err.code(), 'name': err.name(), 'str': err.str()}, 'partition': -1, 'offset': -1})
        p.poll(0)
    left = p.flush(cmd.get('flushTimeout', 15))
    out = {'reports': reports, 'unflushed': left}

elif action == 'consume':
    conf.setdefault('group.id', 'unused-no-group-apis')
    conf.setdefault('enable.auto.commit', False)
    conf.setdefault('enable.partition.eof', True)
    c = Consumer(conf)
    c.assign([TopicPartition(cmd['topic'], cmd.get('partition', 0), cmd.get('offset', 0))])
    records = []
    import time
    deadline = time.time() + cmd.get('timeout', 15)
    while time.time() < deadline and len(records) < cmd.get('max', 1 << 30):
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                break
            out['error'] = {'code': m.error().code(), 'name': m.error().name(), 'str': m.error().str()}
            break
        records.append({'offset': m.offset(), 'partition': m.partition(), 'timestamp': m.timestamp()[1],
                        'key': e(m.key()), 'value': e(m.value()),
                        'headers': None if m.headers() is None else [[k, e(v)] for k, v in m.headers()]})
    c.close()
    out['records'] = records

elif action == 'offsets':
    conf.setdefault('group.id', 'unused-no-group-apis')
    c = Consumer(conf)
    # One call per timestamp: librdkafka folds repeats of a partition within one call into one.
    out['offsetsForTimes'] = [c.offsets_for_times([TopicPartition(cmd['topic'], cmd.get('partition', 0), t)], 10)[0].offset
                              for t in cmd['timestamps']]
    lo, hi = c.get_watermark_offsets(TopicPartition(cmd['topic'], cmd.get('partition', 0)), 10)
    out['low'] = lo
    out['high'] = hi
    c.close()

elif action == 'metadata':
    p = Producer(conf)
    md = p.list_topics(timeout=10)
    out = {'brokers': [{'id': x.id, 'host': x.host, 'port': x.port} for x in md.brokers.values()],
           'topics': {t.topic: {'error': None if t.error is None else t.error.code(), 'partitions': sorted(t.partitions.keys())}
                      for t in md.topics.values()}}

json.dump(out, sys.stdout)
`

export interface PyRecord {
  key: Buffer | null
  value: Buffer | null
  headers?: [string, Buffer | null][] | null
  partition?: number
  timestamp?: number
}

export interface PyError {
  code: number
  name: string
  str: string
}

export interface DeliveryReport {
  error: PyError | null
  partition: number
  offset: number
}

export interface PyConsumed {
  offset: number
  partition: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: [string, Buffer | null][] | null
}

const enc = (b: Buffer | null | undefined) => (b == null ? null : b.toString('base64'))
const dec = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'))

async function run(command: object, timeoutMs: number): Promise<unknown> {
  const r = await runProcess(PYTHON, ['-c', PROGRAM], { input: JSON.stringify(command), timeoutMs })
  if (r.code !== 0) throw new Error(`python confluent-kafka exited ${r.code ?? r.signal}: ${r.stderr}`)
  return JSON.parse(r.stdout.toString('utf8'))
}

export async function pyProduce(
  bootstrap: string,
  topic: string,
  records: readonly PyRecord[],
  config: Record<string, string | number | boolean> = {}
): Promise<{ reports: DeliveryReport[]; unflushed: number }> {
  const payload = records.map((r) => ({
    key: enc(r.key),
    value: enc(r.value),
    headers: r.headers ? r.headers.map(([k, v]) => [k, enc(v)]) : null,
    partition: r.partition,
    timestamp: r.timestamp
  }))
  return (await run({ action: 'produce', bootstrap, topic, records: payload, config }, 30_000)) as {
    reports: DeliveryReport[]
    unflushed: number
  }
}

/** Consumes one assigned partition from `offset` (no group membership) until its end or `max` records. */
export async function pyConsume(
  bootstrap: string,
  topic: string,
  options: {
    partition?: number
    offset?: number
    max?: number
    config?: Record<string, string | number | boolean>
  } = {}
): Promise<{ records: PyConsumed[]; error?: PyError }> {
  const out = (await run(
    {
      action: 'consume',
      bootstrap,
      topic,
      partition: options.partition ?? 0,
      offset: options.offset ?? 0,
      max: options.max,
      config: options.config ?? {}
    },
    30_000
  )) as {
    records: (Omit<PyConsumed, 'key' | 'value' | 'headers'> & {
      key: string | null
      value: string | null
      headers: [string, string | null][] | null
    })[]
    error?: PyError
  }
  return {
    records: out.records.map((r) => ({
      ...r,
      key: dec(r.key),
      value: dec(r.value),
      headers: r.headers ? r.headers.map(([k, v]) => [k, dec(v)] as [string, Buffer | null]) : null
    })),
    ...(out.error ? { error: out.error } : {})
  }
}

/** offsets_for_times for each timestamp, plus the low and high watermarks. */
export async function pyOffsets(
  bootstrap: string,
  topic: string,
  partition: number,
  timestamps: readonly number[]
): Promise<{ offsetsForTimes: number[]; low: number; high: number }> {
  return (await run({ action: 'offsets', bootstrap, topic, partition, timestamps }, 30_000)) as {
    offsetsForTimes: number[]
    low: number
    high: number
  }
}

export async function pyMetadata(bootstrap: string): Promise<{
  brokers: { id: number; host: string; port: number }[]
  topics: Record<string, { error: number | null; partitions: number[] }>
}> {
  return (await run({ action: 'metadata', bootstrap }, 30_000)) as {
    brokers: { id: number; host: string; port: number }[]
    topics: Record<string, { error: number | null; partitions: number[] }>
  }
}
