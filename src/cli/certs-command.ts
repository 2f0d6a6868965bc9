/**
 * `samsa certs create --dir DIR [--hosts h,...] [--client NAME ...] [--days N]`: a development CA with a
 * broker certificate and client certificates (see certs/dev-certificates.ts for the files).
 */

import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  CertificateOptionError,
  createDevCertificates,
  DEFAULT_DAYS,
  DEFAULT_HOSTS
} from './certs/dev-certificates.js'

export const CERTS_USAGE = `Usage: samsa certs create --dir DIR [--hosts h1,h2,...] [--client NAME ...] [--days N]

create: a development CA (DIR/ca.pem, DIR/ca.key), a broker certificate with the hosts as subjectAltNames
(DIR/broker.pem: key + certificate chain, Kafka's ssl.keystore.type=PEM; DIR/broker.p12), a certificate with
subject CN=NAME per --client for mutual TLS (DIR/client-NAME.pem, .p12) and DIR/truststore.p12; the PKCS12
password is in DIR/pkcs12.password. Keys and passwords are 0600. An existing CA and certificates that still
verify against it (and name every --hosts entry) are kept, so running again adds clients. Needs openssl
(and keytool for truststore.p12). Defaults: --hosts ${DEFAULT_HOSTS.join(',')} for a new broker certificate,
--days ${DEFAULT_DAYS}.`

class UsageError extends Error {}

/** Resolves with the process exit code. */
export async function runCerts(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv
  try {
    switch (action) {
      case 'create':
        return await create(rest)
      case '--help':
      case '-h':
        process.stdout.write(`${CERTS_USAGE}\n`)
        return 0
      default:
        throw new UsageError(action === undefined ? 'missing create' : `unknown action ${action}`)
    }
  } catch (err) {
    const usage =
      err instanceof UsageError ||
      err instanceof CertificateOptionError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`samsa certs: ${(err as Error).message}\n${usage ? `${CERTS_USAGE}\n` : ''}`)
    return 1
  }
}

async function create(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      dir: { type: 'string' },
      hosts: { type: 'string' },
      client: { type: 'string', multiple: true, default: [] },
      days: { type: 'string', default: String(DEFAULT_DAYS) }
    }
  })
  if (values.dir === undefined) throw new UsageError('--dir is required')
  const hosts = values.hosts?.split(',').map((h) => h.trim())
  if (!/^\d+$/.test(values.days)) throw new UsageError(`--days must be a number of days, got ${values.days}`)
  const days = Number(values.days)
  const result = await createDevCertificates({
    dir: resolve(values.dir),
    ...(hosts === undefined ? {} : { hosts }),
    clients: values.client,
    days
  })
  process.stdout.write(`${result.actions.join('\n')}\n`)
  return 0
}
