/**
 * `samsa storage format [server.properties] [--override k=v ...] --add-scram SPEC ...`: prepares a broker's
 * storage before its first start, as Kafka's `kafka-storage format`: meta.properties in every log dir and the
 * first SCRAM users (`--add-scram 'SCRAM-SHA-256=[name=admin,password=admin-secret]'`), written into the
 * cluster metadata the config names (the file store, or etcd for a multi-broker cluster).
 */

import { parseArgs } from 'node:util'
import { etcdSettings } from '../broker/cluster-metadata.js'
import { EtcdMetadataStore } from '../cluster/etcd/etcd-metadata-store.js'
import { FileMetadataStore } from '../cluster/file-metadata-store.js'
import { ensureMetaProperties } from '../cluster/meta-properties.js'
import type { MetadataStore, UserScramCredential } from '../cluster/metadata-store.js'
import { ConfigError } from '../config/config-error.js'
import { loadKafkaConfig } from '../config/load-config.js'
import { parseScramCredentialSpec } from '../security/scram/scram-credential-spec.js'

export const STORAGE_USAGE = `Usage: samsa storage format [server.properties] [--override key=value ...]
                            [--add-scram SPEC ...] [--ignore-formatted]

format: writes meta.properties into every log dir and adds SCRAM credentials to the cluster metadata (the
file store in the first log dir, or etcd when metadata.store=etcd), before the broker first starts.
SPEC is Kafka's: 'SCRAM-SHA-256=[name=admin,password=admin-secret]' (also iterations=, or salt= with
saltedpassword= in base64 instead of password=). A user that already has a credential for the mechanism is
an error, or left as it is with --ignore-formatted.`

class UsageError extends Error {}

/** Resolves with the process exit code. */
export async function runStorage(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv
  try {
    switch (action) {
      case 'format':
        return await format(rest)
      case '--help':
      case '-h':
        process.stdout.write(`${STORAGE_USAGE}\n`)
        return 0
      default:
        throw new UsageError(action === undefined ? 'missing format' : `unknown action ${action}`)
    }
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`samsa storage: ${(err as Error).message}\n${usage ? `${STORAGE_USAGE}\n` : ''}`)
    return 1
  }
}

async function format(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      override: { type: 'string', multiple: true, default: [] },
      'add-scram': { type: 'string', multiple: true, default: [] },
      'ignore-formatted': { type: 'boolean', default: false }
    }
  })
  if (positionals.length > 1)
    throw new UsageError(`expected at most one properties file, got ${positionals.join(' ')}`)
  let config: Awaited<ReturnType<typeof loadKafkaConfig>>
  try {
    config = await loadKafkaConfig(positionals[0], values.override)
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(err.message)
    throw err
  }
  // Every spec is checked before anything is written; the messages never repeat a password.
  const credentials: UserScramCredential[] = []
  for (const spec of values['add-scram']) credentials.push(await parseScramCredentialSpec(spec))
  const seen = new Set<string>()
  for (const c of credentials) {
    const key = `${c.mechanism} ${c.user}`
    if (seen.has(key)) throw new UsageError(`--add-scram names ${c.mechanism} for ${c.user} twice`)
    seen.add(key)
  }

  const etcd = etcdSettings(config)
  const store: MetadataStore = etcd
    ? await EtcdMetadataStore.open({
        endpoints: etcd.endpoints,
        tls: etcd.tls,
        clusterName: etcd.clusterName,
        nodeId: config.nodeId,
        leaseTtlSeconds: etcd.leaseTtlSeconds,
        candidate: false
      })
    : await FileMetadataStore.open({ logDirs: config.logDirs, nodeId: config.nodeId })
  try {
    if (etcd) await ensureMetaProperties(config.logDirs, config.nodeId, store.clusterId)
    const existing = await store.bootstrapUserScramCredentials(credentials)
    for (const c of credentials) {
      if (!existing.includes(c)) process.stdout.write(`Added ${c.mechanism} credential for user ${c.user}\n`)
    }
    for (const c of existing) {
      process.stderr.write(
        `samsa storage: user ${c.user} already has a ${c.mechanism} credential; left as it is\n`
      )
    }
    process.stdout.write(`Formatted ${config.logDirs.join(', ')} for cluster ${store.clusterId}\n`)
    return existing.length > 0 && !values['ignore-formatted'] ? 1 : 0
  } finally {
    await store.close()
  }
}
