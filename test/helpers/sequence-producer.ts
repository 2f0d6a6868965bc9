/**
 * Test kit: a librdkafka producer (python3-confluent-kafka under /usr/bin/python3) that produces the numbers
 * 0, 1, 2, ... as record values to one partition without pause, and reports each delivery on its stdout
 * (flushed per line), so a test can tell exactly which records the broker acknowledged.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const SCRIPT = `
import json, select, sys, time
from confluent_kafka import Producer
conf = json.loads(sys.argv[1])
topic, partition = sys.argv[2], int(sys.argv[3])
fatal = []
def on_error(err):
    print('EVENT %s %s' % (err.code(), err.str()), flush=True)
    if err.fatal():
        fatal.append(err)
def on_delivery(err, msg):
    if err is not None:
        print('ERR %s %s' % (msg.value().decode(), err.str()), flush=True)
    else:
        print('ACK %s %d' % (msg.value().decode(), msg.offset()), flush=True)
conf['error_cb'] = on_error
p = Producer(conf)
seq = 0
while not fatal:
    if select.select([sys.stdin], [], [], 0)[0]:
        break
    try:
        p.produce(topic, value=str(seq).encode(), partition=partition, on_delivery=on_delivery)
        seq += 1
    except BufferError:
        pass
    p.poll(0.002)
left = p.flush(40) if not fatal else -1
print('DONE %d %d' % (seq, left), flush=True)
`

export interface Delivery {
  seq: number
  offset: number
}

export class SequenceProducer {
  readonly acked: Delivery[] = []
  readonly failed: string[] = []
  readonly events: string[] = []
  stderr = ''
  done: { produced: number; unflushed: number } | undefined
  private readonly exited: Promise<number | null>

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [kind, a, ...rest] = line.split(' ')
      if (kind === 'ACK') this.acked.push({ seq: Number(a), offset: Number(rest[0]) })
      else if (kind === 'ERR') this.failed.push(line)
      else if (kind === 'EVENT') this.events.push(line)
      else if (kind === 'DONE') this.done = { produced: Number(a), unflushed: Number(rest[0]) }
    })
  }

  /** `config` is librdkafka configuration (bootstrap.servers etc.). */
  static start(
    config: Record<string, string | number | boolean>,
    topic: string,
    partition = 0
  ): SequenceProducer {
    const child = spawn(
      '/usr/bin/python3',
      ['-c', SCRIPT, JSON.stringify(config), topic, String(partition)],
      {
        stdio: ['pipe', 'pipe', 'pipe']
      }
    )
    return new SequenceProducer(child)
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resolves once `predicate` holds, or rejects after timeoutMs or when the producer exits. */
  async waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (!this.running) throw new Error(`producer exited while waiting for ${what}: ${this.describe()}`)
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.describe()}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** Stops producing, waits for every queued record to be delivered or fail, and for the process to exit. */
  async stop(timeoutMs = 50_000): Promise<void> {
    if (this.running) this.child.stdin?.end('stop\n')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    try {
      await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  describe(): string {
    return `${this.acked.length} acked, ${this.failed.length} failed, events ${JSON.stringify(this.events.slice(-5))}, stderr ${this.stderr.slice(-500)}`
  }
}
