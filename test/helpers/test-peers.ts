/**
 * The one place that decides what a test does when a real peer it talks to (etcd, the KIP-848 client, the
 * bench peers, ...) is missing. Outside CI a developer's machine may lack a peer, so the test skips and says
 * which peer and how to install it. Under CI a skip would turn a broken install into a green run that tested
 * nothing, so the missing peer fails the test (at import time or in the suite, whichever calls this).
 */

/** Whether this process runs under CI (`CI=true`, as GitHub Actions, GitLab and most runners set it). */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase()
  return ci === 'true' || ci === '1'
}

/** Thrown under CI instead of skipping: the message names the peer and how to install it. */
export class MissingTestPeerError extends Error {
  override readonly name = 'MissingTestPeerError'
}

/**
 * `false` when `available` (so the result can go straight into `{ skip }` or `t.skip`); otherwise the skip
 * reason, naming `name`, why it is missing (`detail`) and `howToInstall`. Under CI it throws that same
 * sentence as a MissingTestPeerError instead of returning it.
 */
export function requirePeer(
  name: string,
  available: boolean,
  howToInstall: string,
  detail?: string,
  env: NodeJS.ProcessEnv = process.env
): string | false {
  if (available) return false
  const why = detail?.trim() ? ` (${detail.trim()})` : ''
  const reason = `test peer ${name} is missing${why}; install it with: ${howToInstall}`
  if (underCi(env)) throw new MissingTestPeerError(`CI=true forbids skipping: ${reason}`)
  return reason
}

/** How each peer gets installed; the scripts are idempotent and need root for apt. */
export const INSTALL = {
  etcd: 'sudo bash scripts/install-etcd.sh (Debian etcd-server)',
  promtool: 'sudo bash scripts/install-test-peers.sh (Debian prometheus, for promtool)',
  kip848Client: 'bash scripts/install-kip848-client.sh (builds node-rdkafka 3.6.1, librdkafka >= 2.10)',
  benchPeers:
    'sudo bash scripts/install-bench-peers.sh (gcc, pkg-config, librdkafka-dev, libhiredis-dev, libnats-dev, redis-server, nats-server)'
} as const
