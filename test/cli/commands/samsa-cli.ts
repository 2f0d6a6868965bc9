/** Test kit: runs the built `samsa` CLI with optional stdin and environment, collecting its output and exit code. */

import { spawn } from 'node:child_process'
import { CLI_PATH } from '../../helpers/broker-process.js'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export function samsa(
  args: readonly string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // No SAMSA_* settings or profile leak in from the environment running the tests.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SAMSA_')))
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...env, HOME: '/nonexistent', ...options.env }
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.stdin.end(options.stdin ?? '')
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`samsa ${args.join(' ')} did not exit in time; stderr: ${stderr}`))
    }, options.timeoutMs ?? 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Runs a command that must succeed and parses its JSON output. */
export async function samsaJson<T = unknown>(args: readonly string[], stdin?: string): Promise<T> {
  const r = await samsa([...args, '--format', 'json'], stdin === undefined ? {} : { stdin })
  if (r.code !== 0) throw new Error(`samsa ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

/**
 * Runs a client command inside this process (no process start-up, for the many --help and usage-error cases),
 * capturing what it writes to stdout and stderr.
 */
export async function samsaInProcess(args: readonly string[]): Promise<CliResult> {
  const { runClientProgram } = await import('../../../src/cli/client-program.js')
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write
  const err = process.stderr.write
  process.stdout.write = ((s: string | Uint8Array) => {
    stdout += String(s)
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s)
    return true
  }) as typeof process.stderr.write
  try {
    const code = await runClientProgram(args)
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}
