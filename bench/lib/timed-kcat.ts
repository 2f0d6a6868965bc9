import { spawn } from 'node:child_process'

const KCAT = '/usr/bin/kcat'
/** A bench run of millions of records may take minutes on a loaded 2-core machine; a hung kcat must not. */
const TIMEOUT_MS = 10 * 60_000

/** Runs kcat, counting its stdout bytes, and resolves with the elapsed seconds. */
export function timedKcat(args: string[]): Promise<{ seconds: number; stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdoutBytes = 0
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => {
      stdoutBytes += b.length
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    child.once('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr}`))
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, stdoutBytes })
    })
  })
}
