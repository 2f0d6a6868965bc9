/** Runs one C driver process to completion and parses its JSON result line. */

import { spawn } from 'node:child_process'

export interface DriverResult {
  records: number
  size: number
  produce: { acked: number; errors: number; seconds: number; recordsPerSec: number }
  consume: { records: number; seconds: number; recordsPerSec: number }
  latencyMs: { count: number; p50: number; p99: number; p999: number; max: number; mean: number }
  driverCpuSeconds: number
  wallSeconds: number
  timedOut: boolean
  error: string
}

export function runDriver(binary: string, args: readonly string[], timeoutMs: number): Promise<DriverResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-4000)
    })
    // The driver bounds itself with --timeout-s; this is the backstop if it hangs anyway.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').pop() ?? ''
      try {
        resolve(JSON.parse(line) as DriverResult)
      } catch {
        reject(
          new Error(`${binary} ${args.join(' ')} exited (${code ?? signal}) without a result: ${stderr}`)
        )
      }
    })
  })
}
