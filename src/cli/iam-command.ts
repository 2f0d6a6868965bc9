/**
 * `samsa iam create-access-key|list-access-keys|delete-access-key`: the AWS access keys AWS_MSK_IAM clients
 * sign with, in the cluster metadata the broker's config names (the embedded file store in the first log
 * dir, or etcd when metadata.store=etcd). It works before the broker first starts and while brokers run:
 * they follow the keys and take a change within a second. The secret is printed once, at creation.
 */

import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { etcdSettings } from '../broker/cluster-metadata.js'
import { EtcdMetadataStore } from '../cluster/etcd/etcd-metadata-store.js'
import { AWS_ACCESS_KEYS_FILE, FileAwsAccessKeys } from '../cluster/file-aws-access-keys.js'
import { METADATA_DIR } from '../cluster/file-metadata-store.js'
import type { AwsAccessKeyRecordStore } from '../cluster/metadata-store.js'
import { ConfigError } from '../config/config-error.js'
import { loadKafkaConfig } from '../config/load-config.js'
import { newAwsAccessKey } from '../security/msk-iam/aws-access-key-generator.js'

export const IAM_USAGE = `Usage: samsa iam create-access-key --user NAME [server.properties] [--override key=value ...]
       samsa iam list-access-keys [server.properties] [--override key=value ...]
       samsa iam delete-access-key ACCESS_KEY_ID [server.properties] [--override key=value ...]

Manages the AWS access keys AWS_MSK_IAM (and MSK IAM OAUTHBEARER tokens) are verified with, in the cluster
metadata of the broker's configuration: the file store in the first log dir, or etcd when
metadata.store=etcd. Output is JSON. create-access-key prints the secret access key once; it is not shown
again. Running brokers pick changes up within a second.`

class UsageError extends Error {}

/** The store a command works on, opened from the broker's configuration. */
interface OpenedStore
  extends Pick<AwsAccessKeyRecordStore, 'awsAccessKeys' | 'createAwsAccessKey' | 'deleteAwsAccessKey'> {
  close(): Promise<void>
}

async function openStore(propertiesPath: string | undefined, overrides: string[]): Promise<OpenedStore> {
  let config: Awaited<ReturnType<typeof loadKafkaConfig>>
  try {
    config = await loadKafkaConfig(propertiesPath, overrides)
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(err.message)
    throw err
  }
  const etcd = etcdSettings(config)
  if (etcd) {
    const store = await EtcdMetadataStore.open({
      endpoints: etcd.endpoints,
      tls: etcd.tls,
      clusterName: etcd.clusterName,
      nodeId: config.nodeId,
      leaseTtlSeconds: etcd.leaseTtlSeconds,
      candidate: false
    })
    return store
  }
  // The keys' own file, not the whole FileMetadataStore: a running broker owns metadata.json.
  const keys = new FileAwsAccessKeys(join(config.logDirs[0]!, METADATA_DIR, AWS_ACCESS_KEYS_FILE))
  return {
    awsAccessKeys: () => keys.read(),
    createAwsAccessKey: (key) => keys.create(key),
    deleteAwsAccessKey: (id) => keys.delete(id),
    close: () => keys.close()
  }
}

const overrideOption = () => ({
  override: { type: 'string' as const, multiple: true as const, default: [] as string[] }
})

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Resolves with the process exit code. */
export async function runIam(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv
  try {
    switch (action) {
      case 'create-access-key': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          strict: true,
          options: { ...overrideOption(), user: { type: 'string' } }
        })
        if (values.user === undefined) throw new UsageError('create-access-key needs --user NAME')
        if (positionals.length > 1)
          throw new UsageError(`unexpected arguments ${positionals.slice(1).join(' ')}`)
        const key = newAwsAccessKey(values.user)
        const store = await openStore(positionals[0], values.override)
        try {
          await store.createAwsAccessKey(key)
        } finally {
          await store.close()
        }
        print({
          accessKeyId: key.accessKeyId,
          secretAccessKey: key.secretAccessKey,
          user: key.user,
          created: new Date(key.createdMs).toISOString()
        })
        return 0
      }
      case 'list-access-keys': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          strict: true,
          options: overrideOption()
        })
        if (positionals.length > 1)
          throw new UsageError(`unexpected arguments ${positionals.slice(1).join(' ')}`)
        const store = await openStore(positionals[0], values.override)
        try {
          const { keys } = await store.awsAccessKeys()
          // Never the secrets: they were shown once, at creation.
          print(
            [...keys]
              .sort((a, b) => a.user.localeCompare(b.user) || a.createdMs - b.createdMs)
              .map((k) => ({
                accessKeyId: k.accessKeyId,
                user: k.user,
                created: new Date(k.createdMs).toISOString()
              }))
          )
        } finally {
          await store.close()
        }
        return 0
      }
      case 'delete-access-key': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          strict: true,
          options: overrideOption()
        })
        const [id, properties, ...extra] = positionals
        if (id === undefined) throw new UsageError('delete-access-key needs an ACCESS_KEY_ID')
        if (extra.length > 0) throw new UsageError(`unexpected arguments ${extra.join(' ')}`)
        const store = await openStore(properties, values.override)
        let deleted: boolean
        try {
          deleted = await store.deleteAwsAccessKey(id)
        } finally {
          await store.close()
        }
        if (!deleted) {
          process.stderr.write(`samsa iam: no access key ${id}\n`)
          return 1
        }
        print({ accessKeyId: id, deleted: true })
        return 0
      }
      case '--help':
      case '-h':
        process.stdout.write(`${IAM_USAGE}\n`)
        return 0
      default:
        throw new UsageError(action === undefined ? 'missing action' : `unknown action ${action}`)
    }
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`samsa iam: ${(err as Error).message}\n${usage ? `${IAM_USAGE}\n` : ''}`)
    return 1
  }
}
