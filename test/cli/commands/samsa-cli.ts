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

/**
 * Runs a command that must succeed and parses its JSON output: in this process, or as a process of its own when
 * it reads stdin.
 */
export async function samsaJson<T = unknown>(args: readonly string[], stdin?: string): Promise<T> {
  const full = [...args, '--format', 'json']
  const r = stdin === undefined ? await samsaInProcess(full) : await samsa(full, { stdin })
  if (r.code !== 0) throw new Error(`samsa ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

/**
 * Runs a client command inside this process (no process start-up, for the many --help and usage-error cases),
 * collecting what it writes.
 */
export async function samsaInProcess(args: readonly string[]): Promise<CliResult> {
  const { runClientProgram } = await import('../../../src/cli/client-program.js')
  const { withIo } = await import('../../../src/cli/cli-io.js')
  let stdout = ''
  let stderr = ''
  const sink = {
    out: (s: string) => {
      stdout += s
    },
    err: (s: string) => {
      stderr += s
    }
  }
  // As for a spawned CLI: no SAMSA_* settings or profile of the machine running the tests.
  const saved = { ...process.env }
  for (const k of Object.keys(process.env)) if (k.startsWith('SAMSA_')) delete process.env[k]
  process.env.HOME = '/nonexistent'
  try {
    const code = await withIo(sink, () => runClientProgram(args))
    return { code, stdout, stderr }
  } finally {
    process.env = saved
  }
}
