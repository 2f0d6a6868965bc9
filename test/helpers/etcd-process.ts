/**
 * Test kit: runs a real single-member etcd (Debian etcd-server) on free loopback ports with a temporary data
 * dir, waits until it answers /health, and kills it. `ensureEtcd()` installs etcd through
 * scripts/install-etcd.sh when it is missing; when that is impossible requirePeer decides: a skip reason
 * naming etcd outside CI, a failure under CI=true.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { get as httpsGet } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { INSTALL, requirePeer } from './test-peers.js'

const INSTALL_SCRIPT = fileURLToPath(new URL('../../../scripts/install-etcd.sh', import.meta.url))

/**
 * false when etcd is available; otherwise the reason it is not (for `test(..., { skip })`). Under CI=true a
 * missing etcd rejects instead (see requirePeer).
 */
export async function ensureEtcd(): Promise<string | false> {
  const failure = await new Promise<string | null>((resolve) => {
    execFile('bash', [INSTALL_SCRIPT], { timeout: 240_000 }, (err, _stdout, stderr) => {
      resolve(err ? `scripts/install-etcd.sh failed: ${stderr.trim() || err.message}` : null)
    })
  })
  return requirePeer('etcd', failure === null, INSTALL.etcd, failure ?? undefined)
}

async function freePort(): Promise<number> {
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

/** etcd's TLS flags: server certificate and key, and the CA that client certificates must chain to. */
export interface EtcdTlsFiles {
  readonly certFile: string
  readonly keyFile: string
  readonly caFile: string
}

export class EtcdProcess {
  stderr = ''
  private child: ChildProcess
  private exited: Promise<void>

  private constructor(
    private readonly args: readonly string[],
    readonly dataDir: string,
    readonly clientPort: number,
    private readonly tls: EtcdTlsFiles | null = null
  ) {
    this.child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    this.exited = this.watchChild()
  }

  private watchChild(): Promise<void> {
    const child = this.child
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      // etcd logs to stderr; only the tail matters when a start fails.
      this.stderr = (this.stderr + s).slice(-8000)
    })
    return new Promise((resolve) => child.once('exit', () => resolve()))
  }

  /** SIGKILLs etcd and starts it again on the same ports and data: clients see a crash and a recovery. */
  async restart(startTimeoutMs = 15_000): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
    this.child = spawn('etcd', this.args, { stdio: ['ignore', 'ignore', 'pipe'] })
    this.exited = this.watchChild()
    await this.waitHealthy(startTimeoutMs)
  }

  /** The client URL, e.g. http://127.0.0.1:23790 (https:// when started with TLS). */
  get endpoint(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`
  }

  /**
   * With `tls`, clients must speak TLS and present a certificate signed by `tls.caFile`
   * (`--client-cert-auth`); peers stay on plain loopback.
   */
  static async start(startTimeoutMs = 15_000, tls: EtcdTlsFiles | null = null): Promise<EtcdProcess> {
    // A port found free can be taken before etcd binds it; another pair of ports is tried then.
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'samsa-etcd-'))
      const clientPort = await freePort()
      const peerPort = await freePort()
      const client = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`
      const peer = `http://127.0.0.1:${peerPort}`
      const etcd = new EtcdProcess(
        [
          '--name=samsa-test',
          `--data-dir=${dataDir}`,
          `--listen-client-urls=${client}`,
          `--advertise-client-urls=${client}`,
          `--listen-peer-urls=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
          `--initial-cluster=samsa-test=${peer}`,
          '--initial-cluster-state=new',
          '--log-level=error',
          ...(tls
            ? [
                `--cert-file=${tls.certFile}`,
                `--key-file=${tls.keyFile}`,
                `--trusted-ca-file=${tls.caFile}`,
                '--client-cert-auth'
              ]
            : [])
        ],
        dataDir,
        clientPort,
        tls
      )
      try {
        await etcd.waitHealthy(startTimeoutMs)
        return etcd
      } catch (err) {
        lastError = err
        await etcd.stop()
      }
    }
    throw lastError
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`etcd exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`)
      }
      try {
        if (await this.healthy()) return
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`etcd did not become healthy within ${timeoutMs} ms: ${this.stderr}`)
  }

  /** GET /health, over TLS with the server certificate as client certificate when etcd wants one. */
  private async healthy(): Promise<boolean> {
    if (!this.tls) {
      const response = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) })
      return response.ok && ((await response.json()) as { health?: string }).health === 'true'
    }
    const tls = this.tls
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsGet(
        `${this.endpoint}/health`,
        {
          ca: readFileSync(tls.caFile),
          cert: readFileSync(tls.certFile),
          key: readFileSync(tls.keyFile),
          timeout: 1000
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (c: string) => {
            text += c
          })
          res.on('end', () => resolve(res.statusCode === 200 ? text : ''))
        }
      )
      req.on('timeout', () => req.destroy(new Error('timeout')))
      req.on('error', reject)
    })
    return body !== '' && (JSON.parse(body) as { health?: string }).health === 'true'
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    await this.exited
    await rm(this.dataDir, { recursive: true, force: true })
  }
}
