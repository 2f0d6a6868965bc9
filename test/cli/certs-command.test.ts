import assert from 'node:assert/strict'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect, createSecureContext, createServer, type TLSSocket, type TlsOptions } from 'node:tls'
import { createDevCertificates, type DevCertificates } from '../../src/cli/certs/dev-certificates.js'
import { isInstalled, run } from '../../src/cli/certs/openssl.js'
import { runCli } from '../helpers/broker-process.js'

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const PRIVATE_KEY = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/g
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

function parsePem(text: string): { keys: string[]; certs: X509Certificate[] } {
  return {
    keys: text.match(PRIVATE_KEY) ?? [],
    certs: (text.match(CERTIFICATE) ?? []).map((c) => new X509Certificate(c))
  }
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

interface Handshake {
  readonly clientError: (Error & { code?: string }) | null
  readonly serverSawPeer: string | null
  readonly serverAuthorized: boolean | null
}

/** One TLS handshake on loopback; resolves with how both ends saw it. */
async function handshake(
  server: TlsOptions,
  client: {
    host: string
    servername?: string
    ca?: string
    key?: string
    cert?: string
    pfx?: Buffer
    passphrase?: string
  }
): Promise<Handshake> {
  let serverSawPeer: string | null = null
  let serverAuthorized: boolean | null = null
  const tlsServer = createServer(server, (socket: TLSSocket) => {
    serverAuthorized = socket.authorized
    const peer = socket.getPeerX509Certificate()
    serverSawPeer = peer?.subject ?? null
    socket.end('ok')
  })
  tlsServer.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve))
  const port = (tlsServer.address() as { port: number }).port
  try {
    const clientError = await new Promise<(Error & { code?: string }) | null>((resolve) => {
      const socket = connect({ port, ...client })
      socket.once('secureConnect', () => {
        socket.once('data', () => {
          socket.destroy()
          resolve(null)
        })
      })
      socket.once('error', (err) => {
        socket.destroy()
        resolve(err)
      })
      socket.once('end', () => resolve(new Error('closed before data')))
    })
    return { clientError, serverSawPeer, serverAuthorized }
  } finally {
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()))
  }
}

describe('samsa certs create', () => {
  const dir = join(tmpdir(), `samsa-certs-${process.pid}-${Date.now()}`)
  let certs: DevCertificates
  let ca: X509Certificate
  let brokerPem: string

  before(async () => {
    certs = await createDevCertificates({
      dir,
      hosts: ['localhost', 'broker.test', '127.0.0.1', '::1'],
      clients: ['alice'],
      days: 30
    })
    ca = new X509Certificate(await readFile(certs.caCert))
    brokerPem = await readFile(certs.broker.pem, 'utf8')
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('makes a CA certificate that matches its key and may sign certificates', async () => {
    assert.equal(ca.ca, true)
    assert.equal(ca.checkIssued(ca), true)
    assert.equal(ca.checkPrivateKey(createPrivateKey(await readFile(certs.caKey))), true)
    assert.match(ca.subject, /^CN=Samsa development CA [0-9a-f]{8}$/)
  })

  it('issues the broker certificate from the CA, naming every host, for server and client auth', () => {
    const { keys, certs: chain } = parsePem(brokerPem)
    assert.equal(keys.length, 1, 'one private key, first, as a PEM keystore holds it')
    assert.ok(brokerPem.startsWith('-----BEGIN PRIVATE KEY-----'))
    assert.equal(chain.length, 2, 'leaf then CA')
    const [leaf, issuer] = chain as [X509Certificate, X509Certificate]
    assert.equal(issuer.fingerprint256, ca.fingerprint256)
    assert.equal(leaf.ca, false)
    assert.equal(leaf.checkIssued(ca), true)
    assert.equal(leaf.verify(ca.publicKey), true)
    assert.equal(leaf.checkPrivateKey(createPrivateKey(keys[0]!)), true)
    assert.equal(leaf.checkHost('localhost'), 'localhost')
    assert.equal(leaf.checkHost('broker.test'), 'broker.test')
    assert.equal(leaf.checkHost('elsewhere.test'), undefined)
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1')
    assert.equal(leaf.checkIP('::1'), '::1')
    assert.equal(leaf.checkIP('10.0.0.1'), undefined)
    assert.match(leaf.subjectAltName ?? '', /DNS:localhost, DNS:broker\.test, IP Address:127\.0\.0\.1/)
    assert.deepEqual([...(leaf.keyUsage ?? [])].sort(), [SERVER_AUTH, CLIENT_AUTH])
    assert.ok(Date.parse(leaf.validTo) - Date.now() < 31 * 86_400_000, '--days bounds the validity')
  })

  it('issues client certificates with subject CN=<name> for client auth only', async () => {
    const pem = await readFile(certs.clients.get('alice')!.pem, 'utf8')
    const { keys, certs: chain } = parsePem(pem)
    const leaf = chain[0]!
    assert.equal(leaf.subject, 'CN=alice', 'the DN Kafka maps to User:CN=alice')
    assert.equal(leaf.checkIssued(ca), true)
    assert.equal(leaf.verify(ca.publicKey), true)
    assert.equal(leaf.checkPrivateKey(createPrivateKey(keys[0]!)), true)
    assert.deepEqual(leaf.keyUsage, [CLIENT_AUTH])
    assert.equal(leaf.subjectAltName, undefined)
  })

  it('writes keys, keystores and the password 0600 and the directory 0700', async () => {
    assert.equal(await mode(dir), 0o700)
    for (const path of [
      certs.caKey,
      certs.broker.pem,
      certs.broker.p12,
      certs.clients.get('alice')!.pem,
      certs.clients.get('alice')!.p12,
      certs.passwordFile
    ]) {
      assert.equal(await mode(path), 0o600, path)
    }
    assert.equal(await mode(certs.caCert), 0o644)
  })

  it('makes PKCS12 keystores that open with the password file and not without it', async () => {
    const passphrase = (await readFile(certs.passwordFile, 'utf8')).trim()
    assert.ok(passphrase.length >= 20)
    const pfx = await readFile(certs.broker.p12)
    createSecureContext({ pfx, passphrase })
    assert.throws(() => createSecureContext({ pfx, passphrase: 'wrong' }), /mac verify failure|bad decrypt/i)
  })

  it('makes a PKCS12 truststore Java trusts when keytool is there', async (t) => {
    if (!(await isInstalled('keytool', ['-help']))) {
      assert.ok(certs.truststore === null || certs.actions.some((a) => a.includes('truststore.p12')))
      t.skip('keytool (a JDK) is not installed: truststore.p12 is optional')
      return
    }
    assert.ok(certs.truststore)
    const listing = (
      await run('keytool', [
        '-list',
        '-keystore',
        certs.truststore,
        '-storetype',
        'PKCS12',
        '-storepass:file',
        certs.passwordFile
      ])
    ).toString('utf8')
    assert.match(listing, /trustedCertEntry/)
    const keystore = (
      await run('keytool', ['-list', '-keystore', certs.broker.p12, '-storepass:file', certs.passwordFile])
    ).toString('utf8')
    assert.match(keystore, /PrivateKeyEntry/)
  })

  it('serves TLS with the broker PEM keystore to a client that trusts the CA and checks the host name', async () => {
    const server = { key: brokerPem, cert: brokerPem }
    const caPem = await readFile(certs.caCert, 'utf8')
    for (const host of ['127.0.0.1', 'localhost']) {
      const ok = await handshake(server, { host, ca: caPem })
      assert.equal(ok.clientError, null, `${host}: ${ok.clientError?.message}`)
    }
    const wrongName = await handshake(server, { host: '127.0.0.1', servername: 'elsewhere.test', ca: caPem })
    assert.equal(wrongName.clientError?.code, 'ERR_TLS_CERT_ALTNAME_INVALID')
    const untrusted = await handshake(server, { host: '127.0.0.1' })
    assert.equal(untrusted.clientError?.code, 'SELF_SIGNED_CERT_IN_CHAIN', 'only the CA makes it trusted')
  })

  it('authenticates a client certificate with mutual TLS (PEM and PKCS12), and refuses a client without one', async () => {
    const caPem = await readFile(certs.caCert, 'utf8')
    const server: TlsOptions = {
      key: brokerPem,
      cert: brokerPem,
      ca: caPem,
      requestCert: true,
      rejectUnauthorized: true
    }
    const alicePem = await readFile(certs.clients.get('alice')!.pem, 'utf8')
    const withPem = await handshake(server, { host: 'localhost', ca: caPem, key: alicePem, cert: alicePem })
    assert.equal(withPem.clientError, null, withPem.clientError?.message)
    assert.equal(withPem.serverAuthorized, true)
    assert.equal(withPem.serverSawPeer, 'CN=alice')
    const withP12 = await handshake(server, {
      host: 'localhost',
      ca: caPem,
      pfx: await readFile(certs.clients.get('alice')!.p12),
      passphrase: (await readFile(certs.passwordFile, 'utf8')).trim()
    })
    assert.equal(withP12.clientError, null, withP12.clientError?.message)
    assert.equal(withP12.serverSawPeer, 'CN=alice')
    const without = await handshake(server, { host: 'localhost', ca: caPem })
    assert.notEqual(without.clientError, null)
    assert.equal(without.serverSawPeer, null)
  })

  it('reuses the CA and the certificates on a rerun, adding a client, and reissues the broker for new hosts', async () => {
    const before = {
      ca: await readFile(certs.caCert, 'utf8'),
      caKey: await readFile(certs.caKey, 'utf8'),
      broker: brokerPem,
      alice: await readFile(certs.clients.get('alice')!.pem, 'utf8'),
      password: await readFile(certs.passwordFile, 'utf8')
    }
    const again = await createDevCertificates({ dir, clients: ['alice', 'bob'], days: 30 })
    assert.equal(await readFile(again.caCert, 'utf8'), before.ca)
    assert.equal(await readFile(again.caKey, 'utf8'), before.caKey)
    assert.equal(await readFile(again.broker.pem, 'utf8'), before.broker, 'no --hosts keeps the broker')
    assert.equal(await readFile(again.clients.get('alice')!.pem, 'utf8'), before.alice)
    assert.equal(await readFile(again.passwordFile, 'utf8'), before.password)
    const bob = parsePem(await readFile(again.clients.get('bob')!.pem, 'utf8')).certs[0]!
    assert.equal(bob.subject, 'CN=bob')
    assert.equal(bob.verify(ca.publicKey), true)
    assert.ok(again.actions.some((a) => /^created +.*client-bob\.pem/.test(a)))

    const moved = await createDevCertificates({
      dir,
      hosts: ['localhost', '10.1.2.3'],
      clients: [],
      days: 30
    })
    const broker = parsePem(await readFile(moved.broker.pem, 'utf8')).certs[0]!
    assert.equal(broker.checkIP('10.1.2.3'), '10.1.2.3')
    assert.equal(broker.verify(ca.publicKey), true, 'reissued by the same CA')
    assert.ok(moved.actions.some((a) => /^replaced .*broker\.pem.*did not name 10\.1\.2\.3/.test(a)))
  })

  it('prints what it wrote but never a key or a password, and names bad options', async () => {
    const r = await runCli(['certs', 'create', '--dir', dir, '--client', 'carol'], 30_000)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /created +.*client-carol\.pem \(client CN=carol\)/)
    const password = (await readFile(certs.passwordFile, 'utf8')).trim()
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/)
    assert.ok(!(r.stdout + r.stderr).includes(password))
    const bad = await runCli(['certs', 'create', '--dir', dir, '--client', 'CN=x,O=y'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /--client: "CN=x,O=y" must be/)
    const noDir = await runCli(['certs', 'create'])
    assert.equal(noDir.code, 1)
    assert.match(noDir.stderr, /--dir is required[\s\S]*Usage: samsa certs create/)
  })
})
