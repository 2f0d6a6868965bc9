/**
 * Test kit: a throwaway CA, a broker certificate for 127.0.0.1/localhost and a client certificate, made with
 * the openssl CLI in a temporary directory. Files: ca.pem, server.pem (key + chain, a PEM keystore),
 * server.p12 (PKCS12, password `changeit`), server-cert.pem, server-key.pem, elsewhere.pem (a PEM keystore
 * whose certificate names only elsewhere.example), and client certificates
 * <name>-cert.pem / <name>-key.pem for alice (CN=alice,OU=clients,O=Samsa Tests,C=US) and mallory
 * (CN=mallory,OU=outsiders,O=Samsa Tests,C=US), and stranger-cert.pem / stranger-key.pem, self-signed
 * (CN=stranger,OU=clients,O=Samsa Tests,C=US), which the CA does not vouch for.
 */

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const OPENSSL = '/usr/bin/openssl'
export const opensslAvailable = existsSync(OPENSSL)
export const P12_PASSWORD = 'changeit'

export interface TestCertificates {
  readonly dir: string
  readonly path: (name: string) => string
  readonly text: (name: string) => Promise<string>
  cleanup(): Promise<void>
}

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: 'pipe' })
}

/** A key and a certificate signed by the CA (`ca`.pem, `ca`-key.pem), with the extensions in `<name>.ext`. */
function issue(dir: string, name: string, subject: string, ca = 'ca'): void {
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}-key.pem`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject
  ])
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}-key.pem`,
    '-CAcreateserial',
    '-out',
    `${name}-cert.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`
  ])
}

export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-certs-'))
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Samsa Test CA'
  ])
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  issue(dir, 'server', '/O=Samsa/CN=localhost')
  // Signed by the CA but for another host: hostname verification must refuse it on 127.0.0.1.
  await writeFile(join(dir, 'elsewhere.ext'), 'subjectAltName=DNS:elsewhere.example\n')
  issue(dir, 'elsewhere', '/O=Samsa/CN=elsewhere.example')
  for (const [name, ou] of [
    ['alice', 'clients'],
    ['mallory', 'outsiders']
  ] as const) {
    await writeFile(join(dir, `${name}.ext`), 'extendedKeyUsage=clientAuth\n')
    issue(dir, name, `/C=US/O=Samsa Tests/OU=${ou}/CN=${name}`)
  }
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'stranger-key.pem',
    '-out',
    'stranger-cert.pem',
    '-days',
    '2',
    '-subj',
    '/C=US/O=Samsa Tests/OU=clients/CN=stranger'
  ])
  const read = (n: string) => readFile(join(dir, n), 'utf8')
  await writeFile(
    join(dir, 'server.pem'),
    `${await read('server-key.pem')}${await read('server-cert.pem')}${await read('ca.pem')}`
  )
  await writeFile(
    join(dir, 'elsewhere.pem'),
    `${await read('elsewhere-key.pem')}${await read('elsewhere-cert.pem')}${await read('ca.pem')}`
  )
  openssl(dir, [
    'pkcs12',
    '-export',
    '-inkey',
    'server-key.pem',
    '-in',
    'server-cert.pem',
    '-certfile',
    'ca.pem',
    '-out',
    'server.p12',
    '-passout',
    `pass:${P12_PASSWORD}`
  ])
  return {
    dir,
    path: (name) => join(dir, name),
    text: read,
    cleanup: () => rm(dir, { recursive: true, force: true })
  }
}

/**
 * A new broker certificate from the same CA, with the same subject and names but a new key and serial, as
 * `<name>-cert.pem`, `<name>-key.pem` and the PEM keystore `<name>.pem` (key + chain): a rotated certificate.
 */
export async function renewServerCertificate(certs: TestCertificates, name: string): Promise<void> {
  await writeFile(join(certs.dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  issue(certs.dir, name, '/O=Samsa/CN=localhost')
  await writeFile(
    join(certs.dir, `${name}.pem`),
    `${await certs.text(`${name}-key.pem`)}${await certs.text(`${name}-cert.pem`)}${await certs.text('ca.pem')}`
  )
}

/**
 * A further broker certificate from the same CA whose subjectAltName is `subjectAltName` (e.g.
 * `DNS:wrong.samsa.test`, for hostname verification): `<name>.pem` (key + chain, a PEM keystore).
 */
export async function issueServerCertificate(
  certs: TestCertificates,
  name: string,
  subjectAltName: string
): Promise<void> {
  await writeFile(join(certs.dir, `${name}.ext`), `subjectAltName=${subjectAltName}\n`)
  issue(certs.dir, name, `/O=Samsa/CN=${name}`)
  await writeFile(
    join(certs.dir, `${name}.pem`),
    `${await certs.text(`${name}-key.pem`)}${await certs.text(`${name}-cert.pem`)}${await certs.text('ca.pem')}`
  )
}

/**
 * A client certificate (CN=<name>,OU=clients,O=Samsa Tests,C=US, like alice's) signed by a second CA,
 * other-ca.pem, that the broker's truststore does not hold: `<name>-cert.pem` / `<name>-key.pem`.
 */
export async function issueFromOtherCa(certs: TestCertificates, name: string): Promise<void> {
  const dir = certs.dir
  if (!existsSync(join(dir, 'other-ca.pem'))) {
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'other-ca-key.pem',
      '-out',
      'other-ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Another Test CA'
    ])
  }
  await writeFile(join(dir, `${name}.ext`), 'extendedKeyUsage=clientAuth\n')
  issue(dir, name, `/C=US/O=Samsa Tests/OU=clients/CN=${name}`, 'other-ca')
}
