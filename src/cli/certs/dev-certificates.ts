/**
 * A development certificate authority in one directory, for `samsa certs create` and `samsa cluster start
 * --secure`: a CA (`ca.key`, `ca.pem`), a broker certificate whose subjectAltNames are the given hosts
 * (`broker.pem`), client certificates with the subject `CN=<name>` (`client-<name>.pem`; with mutual TLS
 * Kafka's DEFAULT principal mapping makes that `User:CN=<name>`), each also as a PKCS12 keystore, and the CA
 * as a PKCS12 truststore, all PKCS12 files sharing the password in `pkcs12.password`.
 *
 * A `.pem` keystore holds the private key followed by the certificate chain (leaf, then CA): the layout of
 * Kafka's `ssl.keystore.type=PEM`. Files holding a key or a password are written 0600. Running again reuses
 * the CA and every certificate that still verifies against it (and, for the broker, still names every host),
 * so it only adds what is missing. Secrets are never printed.
 */

import { createPrivateKey, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { isInstalled, openssl, run } from './openssl.js'

export const CA_KEY_FILE = 'ca.key'
export const CA_CERT_FILE = 'ca.pem'
export const BROKER_NAME = 'broker'
export const PASSWORD_FILE = 'pkcs12.password'
export const TRUSTSTORE_FILE = 'truststore.p12'
export const DEFAULT_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1']
export const DEFAULT_DAYS = 365

const PRIVATE_KEY = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/

export interface DevCertificateOptions {
  readonly dir: string
  /**
   * The broker certificate's subjectAltNames (DNS names and IP addresses). Undefined keeps an existing valid
   * broker certificate whatever it names, and gives a new one DEFAULT_HOSTS.
   */
  readonly hosts?: readonly string[]
  readonly clients: readonly string[]
  readonly days: number
}

export interface Identity {
  /** Private key, certificate, CA certificate (mode 0600). */
  readonly pem: string
  /** The same as a PKCS12 keystore (mode 0600), password in `pkcs12.password`. */
  readonly p12: string
}

export interface DevCertificates {
  readonly dir: string
  readonly caCert: string
  readonly caKey: string
  readonly broker: Identity
  readonly clients: ReadonlyMap<string, Identity>
  readonly passwordFile: string
  /** Null when neither keytool nor an openssl with -jdktrust can write one Java reads (ca.pem serves). */
  readonly truststore: string | null
  /** One line per file written or kept, for the command's output. */
  readonly actions: readonly string[]
}

export class CertificateOptionError extends Error {}

/** Checks hosts and client names before anything is written; errors name the bad value. */
export function validateOptions(options: DevCertificateOptions): void {
  if (options.hosts?.length === 0) throw new CertificateOptionError('--hosts must name at least one host')
  for (const host of options.hosts ?? []) {
    if (isIP(host) === 0 && !DNS_NAME.test(host)) {
      throw new CertificateOptionError(
        `--hosts: ${JSON.stringify(host)} is neither an IP address nor a DNS name`
      )
    }
  }
  for (const name of options.clients) {
    if (name === BROKER_NAME || !CLIENT_NAME.test(name)) {
      throw new CertificateOptionError(
        `--client: ${JSON.stringify(name)} must be 1-64 letters, digits, '.', '_' or '-' (and not "broker")`
      )
    }
  }
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 36500) {
    throw new CertificateOptionError(`--days must be an integer between 1 and 36500, got ${options.days}`)
  }
}

export async function createDevCertificates(options: DevCertificateOptions): Promise<DevCertificates> {
  validateOptions(options)
  const dir = options.dir
  // A new directory is its owner's alone: it holds the CA key.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // Keys and CSRs are made here (0700) and only the finished files are renamed into place, so an
  // interrupted run leaves no half-written keystore behind.
  const work = await mkdtemp(join(dir, '.work-'))
  const actions: string[] = []
  try {
    const password = await storePassword(dir, actions)
    const ca = await certificateAuthority(dir, options.days, work, actions)
    const broker = await identity(dir, work, ca, options.days, actions, {
      name: BROKER_NAME,
      kind: 'broker',
      hosts: options.hosts ?? DEFAULT_HOSTS,
      requiredHosts: options.hosts ?? [],
      password
    })
    const clients = new Map<string, Identity>()
    for (const name of options.clients) {
      clients.set(
        name,
        await identity(dir, work, ca, options.days, actions, {
          name,
          kind: 'client',
          hosts: [],
          requiredHosts: [],
          password
        })
      )
    }
    const truststore = await pkcs12Truststore(dir, work, ca, actions)
    return {
      dir,
      caCert: ca.certPath,
      caKey: ca.keyPath,
      broker,
      clients,
      passwordFile: join(dir, PASSWORD_FILE),
      truststore,
      actions
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

interface Ca {
  readonly keyPath: string
  readonly certPath: string
  readonly cert: X509Certificate
  readonly certPem: string
  /** True when made by this run: every certificate it signs is then new too. */
  readonly created: boolean
}

/** The config openssl gets instead of the system's openssl.cnf, so its defaults cannot leak in. */
function opensslConfig(hosts: readonly string[]): string {
  const san = hosts.map((h) => (isIP(h) === 0 ? `DNS:${h}` : `IP:${h}`)).join(', ')
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    'CN = unused',
    '[ca]',
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    '[server]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    // clientAuth as well: a broker presents this certificate when it connects to another broker's
    // listener that requires client certificates (inter-broker mutual TLS).
    'extendedKeyUsage = serverAuth, clientAuth',
    `subjectAltName = ${san}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    '[client]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = clientAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    ''
  ].join('\n')
}

async function certificateAuthority(dir: string, days: number, work: string, actions: string[]): Promise<Ca> {
  const keyPath = join(dir, CA_KEY_FILE)
  const certPath = join(dir, CA_CERT_FILE)
  const [keyPem, certPem] = await Promise.all([readIfExists(keyPath), readIfExists(certPath)])
  if (keyPem !== null && certPem !== null) {
    const cert = new X509Certificate(certPem)
    if (!cert.ca || !cert.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new Error(`${certPath} is not a CA certificate for ${keyPath}; remove both to start over`)
    }
    actions.push(note('kept', certPath, `CA, valid to ${cert.validTo}`))
    return { keyPath, certPath, cert, certPem, created: false }
  }
  if (keyPem !== null || certPem !== null) {
    throw new Error(`${keyPath} and ${certPath} must exist together; remove the one left to start over`)
  }
  const workKey = join(work, 'ca.key')
  const config = join(work, 'openssl.cnf')
  await writeSecret(workKey, await newPrivateKey())
  await writeFile(config, opensslConfig([]))
  const subject = `/CN=Samsa development CA ${randomBytes(4).toString('hex')}`
  const pem = (
    await openssl([
      'req',
      '-new',
      '-x509',
      '-config',
      config,
      '-extensions',
      'ca',
      '-key',
      workKey,
      '-subj',
      subject,
      '-days',
      String(days),
      '-sha256',
      '-set_serial',
      serial()
    ])
  ).toString('utf8')
  await writeFile(join(work, 'ca.pem'), pem, { mode: 0o644 })
  await rename(workKey, keyPath)
  await rename(join(work, 'ca.pem'), certPath)
  actions.push(
    note('created', certPath, 'CA certificate, the PEM truststore'),
    note('created', keyPath, 'CA key, 0600')
  )
  return { keyPath, certPath, cert: new X509Certificate(pem), certPem: pem, created: true }
}

interface IdentitySpec {
  readonly name: string
  readonly kind: 'broker' | 'client'
  /** subjectAltNames of a new certificate. */
  readonly hosts: readonly string[]
  /** Hosts an existing certificate must name to be kept. */
  readonly requiredHosts: readonly string[]
  readonly password: string
}

function fileBase(name: string): string {
  return name === BROKER_NAME ? BROKER_NAME : `client-${name}`
}

async function identity(
  dir: string,
  work: string,
  ca: Ca,
  days: number,
  actions: string[],
  spec: IdentitySpec
): Promise<Identity> {
  const base = fileBase(spec.name)
  const pemPath = join(dir, `${base}.pem`)
  const p12Path = join(dir, `${base}.p12`)
  const existing = await readIfExists(pemPath)
  const reason = existing === null ? null : unusable(existing, ca, spec.requiredHosts)
  if (existing !== null && reason === null && !ca.created) {
    actions.push(note('kept', pemPath))
    if ((await readIfExists(p12Path)) === null) {
      await writePkcs12(work, p12Path, existing, spec)
      actions.push(note('created', p12Path))
    }
    return { pem: pemPath, p12: p12Path }
  }

  const keyPem = await newPrivateKey()
  const workKey = join(work, `${base}.key`)
  const config = join(work, `${base}.cnf`)
  const csr = join(work, `${base}.csr`)
  await writeSecret(workKey, keyPem)
  await writeFile(config, opensslConfig(spec.hosts))
  const cn = spec.kind === 'client' ? spec.name : 'samsa-broker'
  await openssl(['req', '-new', '-config', config, '-key', workKey, '-subj', `/CN=${cn}`, '-out', csr])
  const certPem = (
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.certPath,
      '-CAkey',
      ca.keyPath,
      '-set_serial',
      serial(),
      '-days',
      String(days),
      '-sha256',
      '-extfile',
      config,
      '-extensions',
      spec.kind === 'client' ? 'client' : 'server'
    ])
  ).toString('utf8')
  const combined = `${keyPem.trim()}\n${certPem.trim()}\n${ca.certPem.trim()}\n`
  const workPem = join(work, `${base}.pem`)
  await writeSecret(workPem, combined)
  await writePkcs12(work, p12Path, combined, spec)
  await rename(workPem, pemPath)
  const what = spec.kind === 'client' ? `client CN=${spec.name}` : `broker, hosts ${spec.hosts.join(',')}`
  const verb = existing === null ? 'created' : 'replaced'
  actions.push(note(verb, pemPath, reason ? `${what}; ${reason}` : what), note(verb, p12Path))
  return { pem: pemPath, p12: p12Path }
}

/** Why an existing keystore cannot be kept, or null when it can. */
function unusable(pem: string, ca: Ca, hosts: readonly string[]): string | null {
  const key = PRIVATE_KEY.exec(pem)?.[0]
  const leafPem = pem.match(CERTIFICATE)?.[0]
  if (key === undefined || leafPem === undefined) return 'it held no key and certificate'
  const leaf = new X509Certificate(leafPem)
  if (!leaf.checkPrivateKey(createPrivateKey(key))) return 'its key did not match its certificate'
  if (!leaf.checkIssued(ca.cert) || !leaf.verify(ca.cert.publicKey)) return 'it was issued by another CA'
  if (Date.parse(leaf.validTo) <= Date.now()) return 'it had expired'
  for (const host of hosts) {
    const named = isIP(host) === 0 ? leaf.checkHost(host) !== undefined : leaf.checkIP(host) !== undefined
    if (!named) return `it did not name ${host}`
  }
  return null
}

async function writePkcs12(work: string, p12Path: string, pem: string, spec: IdentitySpec): Promise<void> {
  const input = join(work, 'p12-input.pem')
  const passwordFile = join(work, 'p12.password')
  const out = join(work, 'out.p12')
  await writeSecret(input, pem)
  await writeSecret(passwordFile, `${spec.password}\n`)
  try {
    // -in holds the key and the chain; the CA certificate in it goes into the keystore's chain.
    await openssl([
      'pkcs12',
      '-export',
      '-in',
      input,
      '-name',
      fileBase(spec.name),
      '-passout',
      `file:${passwordFile}`,
      '-out',
      out
    ])
    await chmod(out, 0o600)
    await rename(out, p12Path)
  } finally {
    await rm(input, { force: true })
  }
}

/**
 * A PKCS12 truststore Java reads: its certificate needs Java's "trusted for any purpose" attribute, which
 * keytool writes (and openssl only from 3.2, with -jdktrust). Without either, ca.pem is the truststore
 * (`ssl.truststore.type=PEM`).
 */
async function pkcs12Truststore(
  dir: string,
  work: string,
  ca: Ca,
  actions: string[]
): Promise<string | null> {
  const path = join(dir, TRUSTSTORE_FILE)
  if (!ca.created && (await readIfExists(path)) !== null) {
    actions.push(note('kept', path))
    return path
  }
  const passwordFile = join(dir, PASSWORD_FILE)
  const out = join(work, TRUSTSTORE_FILE)
  if (await isInstalled('keytool', ['-help'])) {
    await run('keytool', [
      '-importcert',
      '-noprompt',
      '-alias',
      'samsa-dev-ca',
      '-file',
      ca.certPath,
      '-keystore',
      out,
      '-storetype',
      'PKCS12',
      '-storepass:file',
      passwordFile
    ])
  } else if (
    (await openssl(['pkcs12', '-help']).catch((e: Error) => Buffer.from(e.message)))
      .toString('utf8')
      .includes('-jdktrust')
  ) {
    await openssl([
      'pkcs12',
      '-export',
      '-nokeys',
      '-in',
      ca.certPath,
      '-jdktrust',
      'anyExtendedKeyUsage',
      '-passout',
      `file:${passwordFile}`,
      '-out',
      out
    ])
  } else {
    actions.push(
      note('skipped', path, `needs keytool or openssl >= 3.2; use ${ca.certPath} as a PEM truststore`)
    )
    return null
  }
  await rename(out, path)
  actions.push(note('created', path, 'the CA as a PKCS12 truststore'))
  return path
}

async function storePassword(dir: string, actions: string[]): Promise<string> {
  const path = join(dir, PASSWORD_FILE)
  const existing = await readIfExists(path)
  if (existing !== null && existing.trim() !== '') {
    actions.push(note('kept', path))
    return existing.trim()
  }
  const password = randomBytes(18).toString('base64url')
  await writeSecret(path, `${password}\n`)
  actions.push(note('created', path, 'PKCS12 password, 0600'))
  return password
}

/** One line of the command's output: what happened to which file. */
function note(verb: string, path: string, detail?: string): string {
  return `${verb.padEnd(9)}${path}${detail ? ` (${detail})` : ''}`
}

async function newPrivateKey(): Promise<string> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 })
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/** A positive 128-bit serial number, unique without a serial file. */
function serial(): string {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f
  return `0x${bytes.toString('hex')}`
}

/** Writes a file only its owner may read, whatever the umask and whether or not it existed. */
export async function writeSecret(path: string, data: string): Promise<void> {
  await writeFile(path, data, { mode: 0o600 })
  await chmod(path, 0o600)
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}
