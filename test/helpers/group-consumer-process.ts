/**
 * Test kit: one consumer-group member as its own process (python3-confluent-kafka, librdkafka 2.0.2), so a
 * test can SIGKILL it, restart it, or close it without a LeaveGroup. The member prints one JSON event per
 * line (assignments, revocations, every record, command results) with a wall-clock timestamp, and takes
 * JSON commands on stdin (commit, committed, close). Only /usr/bin/python3 imports confluent_kafka.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const PYTHON = '/usr/bin/python3'

const PROGRAM = String.raw`
import json, queue, sys, threading, time
from confluent_kafka import Consumer, KafkaException, TopicPartition

spec = json.loads(sys.argv[1])
conf = {'bootstrap.servers': spec['bootstrap'], 'group.id': spec['groupId'],
        'auto.offset.reset': 'earliest', 'enable.partition.eof': False}
conf.update(spec.get('config', {}))

def emit(ev, **kw):
    kw['ev'] = ev
    kw['t'] = time.time() * 1000
    sys.stdout.write(json.dumps(kw) + '\n')
    sys.stdout.flush()

# confluent-kafka 1.7 has no rebalance_protocol(): the strategy decides it (librdkafka refuses mixed lists).
PROTOCOL = 'COOPERATIVE' if 'cooperative' in str(conf.get('partition.assignment.strategy', '')) else 'EAGER'

def tps(parts):
    return [[p.topic, p.partition] for p in parts]

def on_error(err):
    emit('error', code=err.code(), name=err.name(), str=err.str())

conf['error_cb'] = on_error
c = Consumer(conf)

def on_assign(consumer, parts):
    emit('assign', partitions=tps(parts), protocol=PROTOCOL)

def on_revoke(consumer, parts):
    emit('revoke', partitions=tps(parts), protocol=PROTOCOL)

def on_lost(consumer, parts):
    emit('lost', partitions=tps(parts))

c.subscribe(spec['topics'], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)

commands = queue.Queue()
def read_stdin():
    for line in sys.stdin:
        line = line.strip()
        if line:
            commands.put(json.loads(line))
    commands.put({'cmd': 'close'})
threading.Thread(target=read_stdin, daemon=True).start()

emit('started')
running = True
while running:
    m = c.poll(0.05)
    if m is not None:
        if m.error():
            emit('error', code=m.error().code(), name=m.error().name(), str=m.error().str())
        else:
            v = m.value()
            emit('msg', topic=m.topic(), p=m.partition(), o=m.offset(), v=None if v is None else v.decode('utf8', 'replace'))
    while not commands.empty():
        cmd = commands.get()
        try:
            if cmd['cmd'] == 'close':
                running = False
                break
            elif cmd['cmd'] == 'commit':
                r = c.commit(asynchronous=False)
                emit('commit', offsets=[[p.topic, p.partition, p.offset] for p in (r or [])])
            elif cmd['cmd'] == 'committed':
                r = c.committed([TopicPartition(t, p) for t, p in cmd['partitions']], timeout=10)
                emit('committed', offsets=[[p.topic, p.partition, p.offset] for p in r])
            elif cmd['cmd'] == 'assignment':
                emit('assignment', partitions=tps(c.assignment()))
        except KafkaException as ex:
            err = ex.args[0]
            emit('error', code=err.code(), name=err.name(), str=err.str(), cmd=cmd['cmd'])
c.close()
emit('closed')
`

export interface MemberEvent {
  ev:
    | 'started'
    | 'assign'
    | 'revoke'
    | 'lost'
    | 'msg'
    | 'commit'
    | 'committed'
    | 'assignment'
    | 'error'
    | 'closed'
  /** Wall-clock time of the event in ms (the member's clock, the same host's). */
  t: number
  partitions?: [string, number][]
  protocol?: string
  topic?: string
  p?: number
  o?: number
  v?: string | null
  offsets?: [string, number, number][]
  code?: number
  name?: string
  str?: string
  cmd?: string
}

export interface GroupConsumerSpec {
  bootstrap: string
  groupId: string
  topics: readonly string[]
  /** librdkafka properties (e.g. session.timeout.ms, group.instance.id, partition.assignment.strategy). */
  config?: Record<string, string | number | boolean>
}

export class GroupConsumerProcess {
  readonly events: MemberEvent[] = []
  stderr = ''
  private readonly exited: Promise<void>
  private waiters: (() => void)[] = []

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s
    })
    child.stdin?.on('error', () => {})
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.events.push(JSON.parse(line) as MemberEvent)
        } catch {
          this.stderr += `${line}\n`
        }
        this.wake()
      })
    }
    child.once('exit', () => this.wake())
  }

  static start(name: string, spec: GroupConsumerSpec): GroupConsumerProcess {
    const child = spawn(PYTHON, ['-c', PROGRAM, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] })
    return new GroupConsumerProcess(name, child)
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  private wake(): void {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }

  /** Resolves with the first event (from index `from`) matching, or rejects after the timeout. */
  async waitFor(match: (e: MemberEvent) => boolean, timeoutMs: number, from = 0): Promise<MemberEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.slice(from).find(match)
      if (found) return found
      if (!this.running) throw new Error(`${this.name} exited: ${this.stderr.slice(-2000)}`)
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(`${this.name}: timed out after ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200))
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Throws if the member process has died (so a polling test fails fast with its stderr); else `this`. */
  assertRunning(): this {
    if (!this.running) throw new Error(`${this.name} exited: ${this.stderr.slice(-2000)}`)
    return this
  }

  /** The partitions this member owns now, replaying its assign/revoke/lost callbacks in order. */
  owned(): Set<string> {
    const owned = new Set<string>()
    for (const e of this.events) {
      if (e.ev === 'assign') {
        // The eager protocol hands over the whole assignment each time; cooperative adds to it.
        if (e.protocol !== 'COOPERATIVE') owned.clear()
        for (const [t, p] of e.partitions ?? []) owned.add(`${t}-${p}`)
      } else if (e.ev === 'revoke' || e.ev === 'lost') {
        for (const [t, p] of e.partitions ?? []) owned.delete(`${t}-${p}`)
      }
    }
    return owned
  }

  /** Values of every record this member printed. */
  values(): string[] {
    return this.events.filter((e) => e.ev === 'msg').map((e) => e.v ?? '')
  }

  send(command: object): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`)
  }

  /** Sends a command and waits for the event it produces (or an error naming it). */
  async request(
    command: { cmd: string; [key: string]: unknown },
    reply: MemberEvent['ev'],
    timeoutMs = 15_000
  ) {
    const from = this.events.length
    this.send(command)
    const e = await this.waitFor(
      (x) => x.ev === reply || (x.ev === 'error' && x.cmd === command.cmd),
      timeoutMs,
      from
    )
    if (e.ev === 'error') throw new Error(`${this.name} ${command.cmd}: ${e.name} ${e.str}`)
    return e
  }

  /** Closes the consumer (LeaveGroup unless it is a static member) and waits for the process to exit. */
  async close(timeoutMs = 15_000): Promise<void> {
    if (!this.running) return
    this.child.stdin?.end()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    try {
      await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** SIGKILL: no LeaveGroup, no commit; the coordinator only learns from the session timeout. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await this.exited
  }
}
