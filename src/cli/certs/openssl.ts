/**
 * Runs the system `openssl` (and `keytool`, when a JDK is present) for `samsa certs`. Node can generate keys
 * but not issue certificates, and openssl is on every machine that runs Kafka tooling, so no npm dependency
 * is needed. Arguments never carry secrets: passwords go through files (`-passout file:`), keys through
 * files in a private work directory.
 */

import { spawn } from 'node:child_process'

export class ToolMissingError extends Error {}

/** Runs `command` with `args`; resolves with its stdout, rejects with its stderr when it exits non-zero. */
export function run(command: string, args: readonly string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new ToolMissingError(
              `${command} is not installed (Debian: apt-get install ${packageOf(command)})`
            )
          : e
      )
    })
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out))
      else {
        const message = Buffer.concat(err).toString('utf8').trim()
        reject(new Error(`${command} ${args[0] ?? ''} failed (exit ${code}): ${message}`))
      }
    })
    child.stdin.end(input ?? '')
  })
}

function packageOf(command: string): string {
  return command === 'keytool' ? 'default-jre-headless' : command
}

export function openssl(args: readonly string[], input?: string): Promise<Buffer> {
  return run('openssl', args, input)
}

/** Whether `command` can be started at all (keytool is optional: it makes Java-readable truststores). */
export async function isInstalled(command: string, probe: readonly string[]): Promise<boolean> {
  try {
    await run(command, probe)
    return true
  } catch (err) {
    return !(err instanceof ToolMissingError)
  }
}
