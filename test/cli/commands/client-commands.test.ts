/**
 * The client commands against a live broker process, through the built CLI, with their JSON output parsed:
 * topics, produce/consume round trips, group lag and offset resets, configs, SCRAM users, cluster info and
 * health, the connection settings' sources, --help and usage errors.
 */

import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BrokerProcess } from '../../helpers/broker-process.js'
import { samsa, samsaInProcess, samsaJson } from './samsa-cli.js'

interface Described {
  name: string
  partitions: {
    partition: number
    leader: number
    replicas: number[]
    isr: number[]
    startOffset: number
    endOffset: number
    size: number | null
  }[]
}
interface GroupDescribed {
  state: string
  totalLag: number
  partitions: {
    topic: string
    partition: number
    currentOffset: number | null
    logEndOffset: number
    lag: number | null
  }[]
}
interface Consumed {
  topic: string
  partition: number
  offset: number
  key: string | null
  value: string
  headers: Record<string, string>
}

const lines = (n: number, f: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n'

describe('samsa client commands', () => {
  let broker: BrokerProcess
  let b: string[]

  before(async () => {
    broker = await BrokerProcess.start({
      overrides: ['group.initial.rebalance.delay.ms=0', 'offsets.topic.replication.factor=1']
    })
    b = ['--brokers', broker.bootstrap]
  })
  after(async () => {
    await broker?.stop()
  })

  it('creates a topic with 6 partitions that describes with 6, lists it and deletes it', async () => {
    const created = await samsaJson<{ topic: string; partitions: number }[]>([
      'topic',
      'create',
      'six',
      '-p',
      '6',
      '-c',
      'retention.ms=3600000',
      ...b
    ])
    assert.deepEqual(
      created.map((t) => [t.topic, t.partitions]),
      [['six', 6]]
    )
    const d = await samsaJson<Described>(['topic', 'describe', 'six', ...b])
    assert.equal(d.partitions.length, 6)
    for (const p of d.partitions) {
      assert.equal(p.leader, 1)
      assert.deepEqual(p.isr, [1])
      assert.equal(p.startOffset, 0)
      assert.equal(p.endOffset, 0)
    }
    const listed = await samsaJson<{ name: string; partitions: number }[]>(['topic', 'list', ...b])
    assert.deepEqual(
      listed.find((t) => t.name === 'six'),
      { name: 'six', partitions: 6, replicas: 1 }
    )
    const cfg = await samsaJson<{ configs: { name: string; value: string }[] }>([
      'config',
      'describe',
      'topic',
      'six',
      ...b
    ])
    assert.equal(cfg.configs.find((c) => c.name === 'retention.ms')?.value, '3600000')
    await samsaJson(['topic', 'add-partitions', 'six', '-n', '2', ...b])
    assert.equal((await samsaJson<Described>(['topic', 'describe', 'six', ...b])).partitions.length, 8)
    await samsaJson(['topic', 'delete', 'six', ...b])
    const after = await samsaJson<{ name: string }[]>(['topic', 'list', ...b])
    assert.equal(
      after.some((t) => t.name === 'six'),
      false
    )
  })

  it('round-trips keys, values and headers through produce and consume, and reports offsets and size', async () => {
    await samsaJson(['topic', 'create', 'rt', '-p', '2', ...b])
    const input = lines(10, (i) => `key-${i}\tvalue ${i} ü`)
    const produced = await samsaJson<{ records: number }>(
      ['produce', 'rt', '-k', '\t', '-H', 'trace=abc', '-H', 'source=cli', '-z', 'gzip', ...b],
      input
    )
    assert.equal(produced.records, 10)
    const r = await samsa(['consume', 'rt', '-n', '10', '--format', 'json', ...b])
    assert.equal(r.code, 0, r.stderr)
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Consumed)
    assert.equal(records.length, 10)
    const byKey = new Map(records.map((c) => [c.key, c]))
    for (let i = 0; i < 10; i++) {
      const c = byKey.get(`key-${i}`)
      assert.ok(c, `key-${i} consumed`)
      assert.equal(c.value, `value ${i} ü`)
      assert.deepEqual(c.headers, { trace: 'abc', source: 'cli' })
    }
    const t = await samsa(['consume', 'rt', '-n', '10', '-f', '%k=%v;%h\\n', ...b])
    assert.ok(t.stdout.split('\n').includes('key-3=value 3 ü;trace=abc,source=cli'), t.stdout)
    const d = await samsaJson<Described>(['topic', 'describe', 'rt', ...b])
    assert.equal(
      d.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0),
      10
    )
    assert.ok(d.partitions.every((p) => p.size !== null && (p.endOffset === 0 || p.size > 0)))
  })

  it('consumes from an offset, a timestamp and assigned partitions', async () => {
    await samsaJson(['topic', 'create', 'seek', '-p', '2', ...b])
    await samsaJson(
      ['produce', 'seek', '-p', '1', ...b],
      lines(5, (i) => `v${i}`)
    )
    const from3 = await samsa(['consume', 'seek', '-p', '1', '-o', '3', '-n', '2', '-f', '%o:%v\\n', ...b])
    assert.equal(from3.stdout, '3:v3\n4:v4\n')
    const future = Date.now() + 3_600_000
    const end = await samsa(['consume', 'seek', '-o', `@${future}`, '-n', '1', ...b], {
      timeoutMs: 3000
    }).catch(() => 'waiting')
    assert.equal(end, 'waiting', 'nothing at or after a future timestamp: it waits at the end')
    const fromStart = await samsa(['consume', 'seek', '-o', '@0', '-n', '5', '-f', '%p%v ', ...b])
    assert.equal(fromStart.stdout, '1v0 1v1 1v2 1v3 1v4 ')
  })

  it('shows lag 200 for a group that consumed 100 of 300 records; reset-offsets is a dry run until --execute', async () => {
    await samsaJson(['topic', 'create', 'lag', '-p', '1', ...b])
    await samsaJson(
      ['produce', 'lag', ...b],
      lines(300, (i) => `r${i}`)
    )
    const c = await samsa(['consume', 'lag', '-g', 'lagging', '-n', '100', '-f', '%o\\n', ...b])
    assert.equal(c.code, 0, c.stderr)
    assert.equal(c.stdout.trim().split('\n').length, 100)
    const d = await samsaJson<GroupDescribed>(['group', 'describe', 'lagging', ...b])
    assert.equal(d.state, 'EMPTY')
    assert.equal(d.totalLag, 200)
    assert.deepEqual(
      d.partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.logEndOffset, p.lag]),
      [['lag', 0, 100, 300, 200]]
    )
    const groups = await samsaJson<{ group: string }[]>(['group', 'list', ...b])
    assert.ok(groups.some((g) => g.group === 'lagging'))

    const dry = await samsaJson<{
      executed: boolean
      partitions: { currentOffset: number; newOffset: number }[]
    }>(['group', 'reset-offsets', 'lagging', '--topic', 'lag', '--to-earliest', ...b])
    assert.equal(dry.executed, false)
    assert.deepEqual(
      dry.partitions.map((p) => [p.currentOffset, p.newOffset]),
      [[100, 0]]
    )
    assert.equal((await samsaJson<GroupDescribed>(['group', 'describe', 'lagging', ...b])).totalLag, 200)

    const done = await samsaJson<{ executed: boolean }>([
      'group',
      'reset-offsets',
      'lagging',
      '--topic',
      'lag',
      '--shift-by',
      '-50',
      '--execute',
      ...b
    ])
    assert.equal(done.executed, true)
    assert.equal((await samsaJson<GroupDescribed>(['group', 'describe', 'lagging', ...b])).totalLag, 250)
    await samsaJson([
      'group',
      'reset-offsets',
      'lagging',
      '--topic',
      'lag',
      '--to-offset',
      '290',
      '--execute',
      ...b
    ])
    const next = await samsa(['consume', 'lag', '-g', 'lagging', '-n', '1', '-f', '%o', ...b])
    assert.equal(next.stdout, '290')

    await samsaJson(['group', 'delete', 'lagging', ...b])
    assert.equal((await samsa(['group', 'describe', 'lagging', ...b])).code, 1)
  })

  it('alters and describes configs, and manages SCRAM users', async () => {
    await samsaJson(['topic', 'create', 'cfg', ...b])
    await samsaJson(['config', 'alter', 'topic', 'cfg', '--set', 'cleanup.policy=compact', ...b])
    const d = await samsaJson<{ configs: { name: string; value: string; source: string }[] }>([
      'config',
      'describe',
      'topic',
      'cfg',
      ...b
    ])
    assert.deepEqual(
      d.configs.find((c) => c.name === 'cleanup.policy'),
      { name: 'cleanup.policy', value: 'compact', source: 'TOPIC_CONFIG', readOnly: false, sensitive: false }
    )
    await samsaJson(['topic', 'alter-config', 'cfg', '--delete', 'cleanup.policy', ...b])
    const back = await samsaJson<{ configs: { name: string }[] }>([
      'config',
      'describe',
      'topic',
      'cfg',
      ...b
    ])
    assert.equal(
      back.configs.some((c) => c.name === 'cleanup.policy'),
      false
    )
    const brokerCfg = await samsaJson<{ configs: { name: string }[] }>([
      'config',
      'describe',
      'broker',
      '1',
      ...b
    ])
    assert.ok(brokerCfg.configs.some((c) => c.name === 'log.dirs'))

    await samsaJson([
      'user',
      'create',
      'bob',
      '--new-password',
      'bob-secret',
      '--mechanism',
      'SCRAM-SHA-512',
      ...b
    ])
    assert.deepEqual(await samsaJson(['user', 'list', ...b]), [
      { user: 'bob', mechanism: 'SCRAM-SHA-512', iterations: 4096 }
    ])
    await samsaJson(['user', 'delete', 'bob', '--mechanism', 'SCRAM-SHA-512', ...b])
    assert.deepEqual(await samsaJson(['user', 'list', ...b]), [])
  })

  it('reports cluster info and health, and elects preferred leaders', async () => {
    const info = await samsaJson<{
      clusterId: string
      controllerId: number
      brokers: { id: number; port: number }[]
    }>(['cluster', 'info', ...b])
    assert.equal(info.controllerId, 1)
    assert.deepEqual(
      info.brokers.map((x) => [x.id, x.port]),
      [[1, broker.port]]
    )
    assert.ok(info.clusterId.length > 0)
    const health = await samsaJson<{
      healthy: boolean
      leaderlessPartitions: unknown[]
      underReplicatedPartitions: unknown[]
    }>(['cluster', 'health', ...b])
    assert.equal(health.healthy, true)
    assert.deepEqual(health.leaderlessPartitions, [])
    await samsaJson(['topic', 'create', 'elect', '-p', '2', ...b])
    const elected = await samsaJson<{ partition: number; result: string }[]>([
      'partition',
      'elect-leaders',
      '--topic',
      'elect',
      ...b
    ])
    assert.deepEqual(
      elected.map((e) => [e.partition, e.result]),
      [
        [0, 'already leader'],
        [1, 'already leader']
      ]
    )

    // A plan onto the one broker: generate, execute with a throttle and wait, verify (which lifts the throttle).
    const dir = await mkdtemp(join(tmpdir(), 'samsa-plan-'))
    try {
      const planFile = join(dir, 'plan.json')
      const plan = await samsaJson<{
        proposed: { partitions: { topic: string; partition: number; replicas: number[] }[] }
      }>([
        'partition',
        'reassign',
        'generate',
        '--topics',
        'elect',
        '--broker-ids',
        '1',
        '--output',
        planFile,
        ...b
      ])
      assert.deepEqual(plan.proposed.partitions, [
        { topic: 'elect', partition: 0, replicas: [1] },
        { topic: 'elect', partition: 1, replicas: [1] }
      ])
      const executed = await samsaJson<{ complete: boolean; throttle: number }>([
        'partition',
        'reassign',
        'execute',
        '--plan',
        planFile,
        '--throttle',
        '1048576',
        '--wait',
        ...b
      ])
      assert.deepEqual([executed.complete, executed.throttle], [true, 1048576])
      const verified = await samsaJson<{ complete: boolean }>([
        'partition',
        'reassign',
        'verify',
        '--plan',
        planFile,
        ...b
      ])
      assert.equal(verified.complete, true)
      const cfg = await samsaJson<{ configs: { name: string }[] }>([
        'config',
        'describe',
        'topic',
        'elect',
        ...b
      ])
      assert.equal(
        cfg.configs.some((c) => c.name.endsWith('replication.throttled.replicas')),
        false
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes the brokers from -X, SAMSA_BROKERS and a profile file, flags first', async () => {
    const x = await samsa(['cluster', 'info', '-X', `brokers=${broker.bootstrap}`, '--format', 'json'])
    assert.equal(x.code, 0, x.stderr)
    const env = await samsa(['cluster', 'info', '--format', 'json'], {
      env: { SAMSA_BROKERS: broker.bootstrap }
    })
    assert.equal(env.code, 0, env.stderr)
    const dir = await mkdtemp(join(tmpdir(), 'samsa-profile-'))
    try {
      const profile = join(dir, 'profile.yaml')
      await writeFile(profile, `kafka_api:\n  brokers:\n    - ${broker.bootstrap}\n`)
      const p = await samsa(['cluster', 'info', '--profile', profile, '--format', 'json'])
      assert.equal(p.code, 0, p.stderr)
      // The default profile location, under $HOME.
      const home = join(dir, 'home')
      await writeFile(profile, `brokers: 127.0.0.1:1\n`)
      const { mkdir } = await import('node:fs/promises')
      await mkdir(join(home, '.config', 'samsa'), { recursive: true })
      await writeFile(join(home, '.config', 'samsa', 'profile.yaml'), `brokers: ${broker.bootstrap}\n`)
      const h = await samsa(['cluster', 'info', '--format', 'json'], { env: { HOME: home } })
      assert.equal(h.code, 0, h.stderr)
      // A flag beats the profile: a closed port fails.
      const flagWins = await samsa(['cluster', 'info', '--profile', profile, '--brokers', '127.0.0.1:1'], {
        env: { HOME: home }
      })
      assert.equal(flagWins.code, 1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('prints --help with exit 0 for every command', async () => {
    const commands = [
      [],
      ['topic'],
      ['topic', 'create'],
      ['topic', 'list'],
      ['topic', 'describe'],
      ['topic', 'delete'],
      ['topic', 'alter-config'],
      ['topic', 'add-partitions'],
      ['produce'],
      ['consume'],
      ['group'],
      ['group', 'list'],
      ['group', 'describe'],
      ['group', 'reset-offsets'],
      ['group', 'delete'],
      ['config', 'describe'],
      ['config', 'alter'],
      ['acl', 'create'],
      ['acl', 'list'],
      ['acl', 'delete'],
      ['user', 'create'],
      ['user', 'delete'],
      ['user', 'list'],
      ['quota', 'describe'],
      ['quota', 'alter'],
      ['cluster', 'info'],
      ['cluster', 'health'],
      ['partition', 'reassign', 'generate'],
      ['partition', 'reassign', 'execute'],
      ['partition', 'reassign', 'verify'],
      ['partition', 'elect-leaders'],
      ['version']
    ]
    for (const c of commands) {
      const r = await samsaInProcess([...c, '--help'])
      assert.equal(r.code, 0, `${c.join(' ')} --help: ${r.stderr}`)
      assert.match(r.stdout, /Usage: samsa/, c.join(' '))
    }
  })

  it('exits 2 on usage errors and 1 on failures', async () => {
    for (const args of [
      ['topic', 'create'],
      ['topic', 'list', '--bogus'],
      ['topic', 'list', '--format', 'xml', ...b],
      ['consume', 'x', '--offset', 'middle', ...b],
      ['produce', 'x', '--acks', '2', ...b],
      ['group', 'reset-offsets', 'g', '--topic', 'x', ...b],
      ['topic', 'tea']
    ]) {
      const r = await samsaInProcess(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.ok(r.stderr.length > 0)
    }
    // The same exit codes through the real process.
    assert.equal((await samsa(['topic', 'create'])).code, 2)
    assert.equal((await samsa(['group', '--help'])).code, 0)
    const missing = await samsa(['topic', 'describe', 'no-such-topic', ...b])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^samsa: /)
    const version = await samsaJson<{ version: string }>(['version'])
    assert.match(version.version, /^\d+\.\d+\.\d+/)
  })
})
