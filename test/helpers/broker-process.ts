/**
 * Test kit: runs a real broker process from the built CLI (dist/src/cli/main.js) on port 0 with a temporary
 * log dir, reads the bound port from its JSON log, and stops it with a signal.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const CLI_PATH = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

export interface LogLine {
  level: string
  msg: string
  [key: string]: unknown
}

export interface BrokerProcessOptions {
  /** Extra `key=value` overrides, after the test defaults. */
  overrides?: readonly string[]
  /** Extra CLI arguments placed before the overrides (e.g. a properties file). */
  args?: readonly string[]
  startTimeoutMs?: number
}

export interface ExitResult {
  code: number | null
  signal: NodeJS.Signals | null
}

export class BrokerProcess {
  readonly logs: LogLine[] = []
  stderr = ''
  private readonly exited: Promise<ExitResult>

  private constructor(
    readonly child: ChildProcess,
    readonly logDir: string
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s
    })
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.logs.push(JSON.parse(line) as LogLine)
        } catch {
          this.logs.push({ level: 'raw', msg: line })
        }
      })
    }
  }

  static async start(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const logDir = await mkdtemp(join(tmpdir(), 'samsa-test-'))
    const args = [
      CLI_PATH,
      'broker',
      ...(options.args ?? []),
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:0',
      '--override',
      `log.dirs=${logDir}`,
      // Test brokers run side by side: each admin listener takes an ephemeral port (see adminPort).
      '--override',
      'admin.listeners=http://127.0.0.1:0',
      ...(options.overrides ?? []).flatMap((o) => ['--override', o])
    ]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const broker = new BrokerProcess(child, logDir)
    await broker.waitForLog((l) => l.msg === 'started', options.startTimeoutMs ?? 10_000)
    return broker
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  /** The port of the first listener, from the broker's `listening` log line. */
  get port(): number {
    const line = this.logs.find((l) => l.msg === 'listening')
    if (!line || typeof line.port !== 'number') throw new Error('broker has not logged a listening port')
    return line.port
  }

  /** The bound port of the named listener, from its `listening` log line. */
  portOf(listenerName: string): number {
    const line = this.logs.find((l) => l.msg === 'listening' && l.listener === listenerName)
    if (!line || typeof line.port !== 'number')
      throw new Error(`broker has not logged listener ${listenerName}`)
    return line.port
  }

  /** The admin HTTP listener's port, from its `admin listening` log line. */
  get adminPort(): number {
    const line = this.logs.find((l) => l.msg === 'admin listening')
    if (!line || typeof line.port !== 'number') throw new Error('broker has not logged an admin port')
    return line.port
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`
  }

  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const started = Date.now()
      const poll = () => {
        const found = this.logs.find(match)
        if (found) return resolve(found)
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          return reject(
            new Error(`broker exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`)
          )
        }
        if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for a log line`))
        setTimeout(poll, 20)
      }
      poll()
    })
  }

  /** Sends the signal and resolves with how the process exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
      await rm(this.logDir, { recursive: true, force: true })
    }
  }

  kill(): Promise<ExitResult> {
    return this.stop('SIGKILL')
  }
}

/** Runs the CLI to completion (for commands expected to exit by themselves, e.g. on bad config). */
export function runCli(
  args: readonly string[],
  timeoutMs = 10_000
): Promise<ExitResult & { stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`samsa ${args.join(' ')} did not exit within ${timeoutMs} ms`))
    }, timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}
