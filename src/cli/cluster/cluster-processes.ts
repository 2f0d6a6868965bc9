/** The processes of a local cluster: started detached, recognised by their command line, stopped in steps. */

import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, constants, openSync, readFileSync } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'

export const STOP_TIMEOUT_MS = 15_000

/** Starts a process that outlives this command: its own process group, output appended to `log`. */
export function spawnDetached(command: string, args: readonly string[], log: string): ChildProcess {
  const fd = openSync(log, 'a')
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] })
    if (child.pid === undefined) throw new Error(`could not start ${command}`)
    child.unref()
    return child
  } finally {
    closeSync(fd)
  }
}

/** SIGTERM, then SIGKILL when the process has not exited within STOP_TIMEOUT_MS. */
export async function stopProcess(pid: number): Promise<void> {
  if (!isAlive(pid)) return
  signal(pid, 'SIGTERM')
  const deadline = Date.now() + STOP_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return
    await sleep(100)
  }
  signal(pid, 'SIGKILL')
  const killDeadline = Date.now() + 5000
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(50)
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}

/**
 * Whether `pid` runs. A zombie counts as gone: the brokers outlive `start`, and whoever inherits them (init,
 * or a container's first process) may be slow to reap them.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

/** Whether `pid` is still a process this cluster started (its command line names the cluster dir). */
export function isOurs(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)
  } catch {
    // No /proc: trust the state file.
    return true
  }
}

/** Ports this process handed out: none is bound until its broker starts, so the OS may offer one twice. */
const handedOut = new Set<number>()

/**
 * A loopback port nothing listens on, never one this process handed out before nor one in `reserved` (the
 * cluster's client ports, which brokers bind only once they start).
 */
export async function freePort(reserved: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await ephemeralPort()
    if (handedOut.has(port) || reserved.has(port)) continue
    handedOut.add(port)
    return port
  }
  throw new Error('no free loopback port found in 100 attempts')
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export async function tail(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-20).join('\n')
  } catch {
    return ''
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
