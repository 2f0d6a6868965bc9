/**
 * SCRAM credentials on a real broker: `samsa storage format --add-scram` before the first start,
 * DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554) over the wire with Kafka's errors, and
 * credentials that survive a restart and still authenticate kafkajs's SCRAM client.
 */

import assert from 'node:assert/strict'
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileMetadataStore } from '../../src/cluster/file-metadata-store.js'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse
} from '../../src/protocol/messages/alter-user-scram-credentials.js'
import type { DescribeUserScramCredentialsResponse } from '../../src/protocol/messages/describe-user-scram-credentials.js'
import { scramSaslServerFactory } from '../../src/security/sasl/scram-sasl-server.js'
import { ScramCredentialCache } from '../../src/security/scram/scram-credential-cache.js'
import {
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  type ScramMechanism
} from '../../src/security/scram/scram-mechanism.js'
import { BrokerProcess, runCli } from '../helpers/broker-process.js'
import { kafkajsScramExchange } from '../helpers/kafkajs-scram-client.js'
import { rawRequest } from '../server/handlers/admin-request.js'

const dir = await mkdtemp(join(tmpdir(), 'samsa-scram-e2e-'))
after(() => rm(dir, { recursive: true, force: true }))

const describeUsers = (port: number, users: string[] | null) =>
  rawRequest<DescribeUserScramCredentialsResponse>(port, 50, 0, {
    users: users?.map((name) => ({ name })) ?? null
  })
const alter = (port: number, request: Partial<AlterUserScramCredentialsRequest>) =>
  rawRequest<AlterUserScramCredentialsResponse>(port, 51, 0, { deletions: [], upsertions: [], ...request })

/** An upsertion as Kafka's admin client builds it: the client salts the password, the broker never sees it. */
function upsertion(name: string, m: ScramMechanism, password: string, iterations: number) {
  const salt = randomBytes(24)
  const saltedPassword = pbkdf2Sync(password, salt, iterations, m.keyLength, m.hash)
  return { name, mechanism: m.type, iterations, salt, saltedPassword }
}

const sorted = <T extends { user: string }>(results: readonly T[]) =>
  [...results].sort((a, b) => a.user.localeCompare(b.user))

/** kafkajs's SCRAM client against the stored credential, to prove what the broker stored authenticates. */
async function authenticates(
  cache: ScramCredentialCache,
  m: ScramMechanism,
  user: string,
  password: string
): Promise<boolean> {
  const server = scramSaslServerFactory(m, cache).create({ listenerName: 'test', clientAddress: '127.0.0.1' })
  try {
    await kafkajsScramExchange(m, server, user, password)
    return server.complete
  } catch {
    return false
  }
}

describe('SCRAM credentials on a broker', { timeout: 90_000 }, () => {
  it('storage format adds the first admin, without printing the password', async () => {
    const args = [
      'storage',
      'format',
      '--override',
      `log.dirs=${dir}`,
      '--add-scram',
      'SCRAM-SHA-256=[name=admin,password=admin-secret]',
      '--add-scram',
      'SCRAM-SHA-512=[name=admin,password="admin-secret",iterations=8192]'
    ]
    const formatted = await runCli(args)
    assert.equal(formatted.code, 0, formatted.stderr)
    assert.match(formatted.stdout, /Added SCRAM-SHA-256 credential for user admin/)
    assert.doesNotMatch(formatted.stdout + formatted.stderr, /admin-secret/)

    const again = await runCli(args)
    assert.equal(again.code, 1, 'formatting an existing credential again is an error')
    assert.match(again.stderr, /user admin already has a SCRAM-SHA-256 credential/)
    assert.equal((await runCli([...args, '--ignore-formatted'])).code, 0)

    const bad = await runCli([
      'storage',
      'format',
      '--override',
      `log.dirs=${dir}`,
      '--add-scram',
      'SCRAM-SHA-1=[name=x,password=sekrit]'
    ])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /unsupported SCRAM mechanism SCRAM-SHA-1/)
    assert.doesNotMatch(bad.stderr, /sekrit/)
  })

  it('describes and alters credentials with Kafka errors, and they survive a restart', async () => {
    let broker = await BrokerProcess.start({ overrides: [`log.dirs=${dir}`] })
    try {
      const all = await describeUsers(broker.port, null)
      assert.equal(all.errorCode, ErrorCode.NONE)
      assert.deepEqual(all.results, [
        {
          user: 'admin',
          errorCode: 0,
          errorMessage: null,
          credentialInfos: [
            { mechanism: 1, iterations: 4096 },
            { mechanism: 2, iterations: 8192 }
          ]
        }
      ])

      const altered = await alter(broker.port, {
        upsertions: [
          upsertion('alice', SCRAM_SHA_256, 'alice-secret', 4096),
          upsertion('bob', SCRAM_SHA_512, 'bob-secret', 16384),
          upsertion('twice', SCRAM_SHA_256, 'x', 4096),
          upsertion('twice', SCRAM_SHA_512, 'x', 4096),
          upsertion('few', SCRAM_SHA_256, 'x', 1024),
          upsertion('many', SCRAM_SHA_256, 'x', 16385),
          { ...upsertion('odd', SCRAM_SHA_256, 'x', 4096), mechanism: 9 },
          upsertion('', SCRAM_SHA_256, 'x', 4096)
        ],
        deletions: [{ name: 'ghost', mechanism: 1 }]
      })
      assert.deepEqual(sorted(altered.results), [
        {
          user: '',
          errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL,
          errorMessage: 'Username must not be empty'
        },
        { user: 'alice', errorCode: 0, errorMessage: null },
        { user: 'bob', errorCode: 0, errorMessage: null },
        { user: 'few', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' },
        {
          user: 'ghost',
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: 'Attempt to delete a user credential that does not exist'
        },
        { user: 'many', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' },
        {
          user: 'odd',
          errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
          errorMessage: 'Unknown SCRAM mechanism'
        },
        {
          user: 'twice',
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: 'A user credential cannot be altered twice in the same request'
        }
      ])
      // A deletion and an upsertion of one user in one request are twice too.
      const mixed = await alter(broker.port, {
        deletions: [{ name: 'alice', mechanism: 1 }],
        upsertions: [upsertion('alice', SCRAM_SHA_512, 'y', 4096)]
      })
      assert.deepEqual(
        mixed.results.map((r) => r.errorCode),
        [ErrorCode.DUPLICATE_RESOURCE]
      )

      const some = await describeUsers(broker.port, ['alice', 'nobody', 'dup', 'dup'])
      assert.equal(some.errorCode, ErrorCode.NONE)
      assert.deepEqual(sorted(some.results), [
        {
          user: 'alice',
          errorCode: 0,
          errorMessage: null,
          credentialInfos: [{ mechanism: 1, iterations: 4096 }]
        },
        {
          user: 'dup',
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request: dup',
          credentialInfos: []
        },
        {
          user: 'nobody',
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: 'Attempt to describe a user credential that does not exist: nobody',
          credentialInfos: []
        }
      ])

      // Removing bob's only credential removes bob.
      const removed = await alter(broker.port, { deletions: [{ name: 'bob', mechanism: 2 }] })
      assert.deepEqual(removed.results, [{ user: 'bob', errorCode: 0, errorMessage: null }])
      assert.equal(
        (await describeUsers(broker.port, ['bob'])).results[0]?.errorCode,
        ErrorCode.RESOURCE_NOT_FOUND
      )

      await broker.stop()
      broker = await BrokerProcess.start({ overrides: [`log.dirs=${dir}`] })
      const restarted = await describeUsers(broker.port, null)
      assert.deepEqual(
        sorted(restarted.results).map((r) => [r.user, r.credentialInfos]),
        [
          [
            'admin',
            [
              { mechanism: 1, iterations: 4096 },
              { mechanism: 2, iterations: 8192 }
            ]
          ],
          ['alice', [{ mechanism: 1, iterations: 4096 }]]
        ]
      )
    } finally {
      await broker.stop()
    }

    // What the broker stored authenticates the passwords, and only them.
    const store = await FileMetadataStore.open({ logDirs: [dir], nodeId: 1 })
    const cache = await ScramCredentialCache.start(store)
    try {
      assert.equal(await authenticates(cache, SCRAM_SHA_256, 'admin', 'admin-secret'), true)
      assert.equal(await authenticates(cache, SCRAM_SHA_512, 'admin', 'admin-secret'), true)
      assert.equal(await authenticates(cache, SCRAM_SHA_256, 'alice', 'alice-secret'), true)
      assert.equal(await authenticates(cache, SCRAM_SHA_256, 'alice', 'admin-secret'), false)
      assert.equal(await authenticates(cache, SCRAM_SHA_512, 'alice', 'alice-secret'), false)
    } finally {
      cache.close()
      await store.close()
    }
  })
})
