/** Runs a peer client (kcat, python3) to completion with a hard timeout, capturing raw stdout bytes. */

import { spawn } from 'node:child_process'

export interface ProcessResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
}

export interface RunOptions {
  input?: Buffer | string
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

export function runProcess(command: string, args: readonly string[], options: RunOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 20_000
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env
    })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out), stderr })
    })
    // A peer that exits early (e.g. on a broker error) closes its stdin; that is not our failure.
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** Like runProcess, but rejects unless the process exits 0. */
export async function runOk(command: string, args: readonly string[], options: RunOptions = {}) {
  const r = await runProcess(command, args, options)
  if (r.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}`)
  }
  return r
}
