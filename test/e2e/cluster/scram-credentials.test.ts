/**
 * SCRAM credentials in a 2-broker cluster on etcd: `samsa storage format --add-scram` writes the first user
 * into etcd (no controller needed), AlterUserScramCredentials sent to either broker reaches the controller
 * (one of the two forwards it), and every broker describes every user from its own cache.
 */

import assert from 'node:assert/strict'
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ClusterState } from '../../../src/cli/cluster-command.js'
import type { AlterUserScramCredentialsResponse } from '../../../src/protocol/messages/alter-user-scram-credentials.js'
import type { DescribeUserScramCredentialsResponse } from '../../../src/protocol/messages/describe-user-scram-credentials.js'
import { SCRAM_SHA_256 } from '../../../src/security/scram/scram-mechanism.js'
import { runCli } from '../../helpers/broker-process.js'
import { ensureEtcd } from '../../helpers/etcd-process.js'
import { rawRequest } from '../../server/handlers/admin-request.js'
import { startCluster, stopCluster, waitFor } from './cluster-kit.js'

const skip = await ensureEtcd()

const usersAt = async (port: number): Promise<string[]> => {
  const response = await rawRequest<DescribeUserScramCredentialsResponse>(port, 50, 0, { users: null })
  return response.results.map((r) => r.user).sort()
}

async function upsert(port: number, user: string): Promise<AlterUserScramCredentialsResponse> {
  const salt = randomBytes(16)
  const saltedPassword = pbkdf2Sync(`${user}-secret`, salt, 4096, 32, 'sha256')
  return rawRequest<AlterUserScramCredentialsResponse>(port, 51, 0, {
    deletions: [],
    upsertions: [{ name: user, mechanism: SCRAM_SHA_256.type, iterations: 4096, salt, saltedPassword }]
  })
}

describe('SCRAM credentials in a cluster on etcd', { skip, timeout: 120_000 }, () => {
  let dir = ''
  let state: ClusterState | undefined
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-scram-cluster-'))
    state = await startCluster(dir, 2, [])
  })
  after(() => stopCluster(dir, state))

  it('format, alter through either broker, describe on every broker', async () => {
    const cluster = state!
    const formatted = await runCli([
      'storage',
      'format',
      '--override',
      'metadata.store=etcd',
      '--override',
      `etcd.endpoints=${cluster.etcd.endpoint}`,
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:1',
      '--override',
      'node.id=9',
      '--override',
      `log.dirs=${join(dir, 'formatted')}`,
      '--add-scram',
      'SCRAM-SHA-256=[name=admin,password=admin-secret]'
    ])
    assert.equal(formatted.code, 0, formatted.stderr)
    const ports = cluster.brokers.map((b) => b.port)
    for (const port of ports) {
      await waitFor(`admin on ${port}`, 10_000, async () =>
        (await usersAt(port)).includes('admin') ? true : undefined
      )
    }

    // One of the two brokers is not the controller and forwards.
    const [first, second] = ports as [number, number]
    assert.deepEqual((await upsert(first, 'one')).results, [
      { user: 'one', errorCode: 0, errorMessage: null }
    ])
    assert.deepEqual((await upsert(second, 'two')).results, [
      { user: 'two', errorCode: 0, errorMessage: null }
    ])
    for (const port of ports) {
      await waitFor(`every user on ${port}`, 10_000, async () =>
        (await usersAt(port)).join() === 'admin,one,two' ? true : undefined
      )
    }
  })
})
