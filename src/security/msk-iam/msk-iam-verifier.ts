/**
 * Verifies an MSK IAM signed Connect request (msk-iam-signed-request.ts) against the access keys Samsa
 * holds, as MSK does against IAM: the request must be a SigV4 presigned GET for kafka-cluster:Connect on an
 * accepted host, signed at most `clockSkewMs` in the future and not expired, and its signature must be the
 * one the key's secret gives. The signature is recomputed by @smithy/signature-v4's presigner (the library
 * the JavaScript clients sign with), so canonicalisation is never hand-written here, and compared in
 * constant time. An unknown key id costs the same work as a wrong secret and fails with the same message.
 */

import { timingSafeEqual } from 'node:crypto'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import { SaslAuthenticationError } from '../sasl/sasl-server.js'
import type { AwsCredentialStore } from './aws-credential-store.js'
import { CONNECT_ACTION, type MskIamSignedRequest } from './msk-iam-signed-request.js'

export const SIGNING_SERVICE = 'kafka-cluster'
const ALGORITHM = 'AWS4-HMAC-SHA256'
const SIGNED_HEADERS = 'host'
/** SigV4's own ceiling for a presigned request: one week. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600
/** AWS tolerates five minutes between a signer's clock and its own. */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000
/** Signs for unknown key ids, so that they take as long as a wrong secret. */
const UNKNOWN_KEY_SECRET = 'unknown-access-key-secret-used-for-equal-timing'

export interface MskIamVerifierOptions {
  readonly credentials: AwsCredentialStore
  /** When set, only signatures for this region (the credential scope's) are accepted. */
  readonly region?: string
  readonly clockSkewMs?: number
  readonly now?: () => number
}

export interface MskIamIdentity {
  /** The access key's user: the principal is User:<user>. */
  readonly user: string
  readonly accessKeyId: string
  /** When the signature stops being valid (x-amz-date + x-amz-expires), ms since the epoch. */
  readonly expiresAtMs: number
}

/** Decides whether the host a request was signed for is one this broker answers to. */
export type MskIamHostCheck = (host: string, region: string) => boolean

function failed(what: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed: ${what}`)
}

const DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/

/** x-amz-date as ms since the epoch; it must be a real instant written in SigV4's one form. */
function parseAmzDate(date: string): number {
  const m = DATE.exec(date)
  if (!m) throw failed('x-amz-date is not yyyyMMddTHHmmssZ')
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number]
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  if (new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '') !== date)
    throw failed('x-amz-date is not a date')
  return ms
}

/** x-amz-expires as the presigner writes it (number.toString(10)), so the recomputation signs the same text. */
function parseExpires(expires: string): number {
  const seconds = Number(expires)
  if (!/^\d+(\.\d+)?$/.test(expires) || seconds.toString(10) !== expires) {
    throw failed('x-amz-expires is not a number of seconds')
  }
  if (seconds <= 0 || seconds > MAX_EXPIRES_SECONDS) {
    throw failed(`x-amz-expires must be more than 0 and at most ${MAX_EXPIRES_SECONDS} seconds`)
  }
  return seconds
}

interface CredentialScope {
  readonly accessKeyId: string
  readonly shortDate: string
  readonly region: string
}

function parseCredential(credential: string, date: string): CredentialScope {
  const parts = credential.split('/')
  const [accessKeyId, shortDate, region, service, terminator] = parts
  if (parts.length !== 5 || !accessKeyId || !shortDate || !region || !service || !terminator) {
    throw failed('x-amz-credential is not <access key id>/<date>/<region>/kafka-cluster/aws4_request')
  }
  if (!/^[A-Za-z0-9]{16,128}$/.test(accessKeyId)) throw failed('the access key id is malformed')
  if (shortDate !== date.slice(0, 8)) throw failed('the credential scope date is not the date of x-amz-date')
  if (!/^[a-z0-9-]+$/.test(region)) throw failed('the credential scope region is malformed')
  if (service !== SIGNING_SERVICE) throw failed(`the credential scope service is not ${SIGNING_SERVICE}`)
  if (terminator !== 'aws4_request') throw failed('the credential scope does not end in aws4_request')
  return { accessKeyId, shortDate, region }
}

export class MskIamVerifier {
  private readonly credentials: AwsCredentialStore
  private readonly region: string | undefined
  private readonly clockSkewMs: number
  private readonly now: () => number

  constructor(options: MskIamVerifierOptions) {
    this.credentials = options.credentials
    this.region = options.region
    this.clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS
    this.now = options.now ?? Date.now
  }

  async verify(request: MskIamSignedRequest, acceptsHost: MskIamHostCheck): Promise<MskIamIdentity> {
    if (request.action !== CONNECT_ACTION) throw failed(`the action is not ${CONNECT_ACTION}`)
    if (request.algorithm !== ALGORITHM) throw failed(`the algorithm is not ${ALGORITHM}`)
    if (request.signedHeaders !== SIGNED_HEADERS)
      throw failed(`the signed headers are not "${SIGNED_HEADERS}"`)
    if (!/^[0-9a-f]{64}$/.test(request.signature)) throw failed('x-amz-signature is not 64 hex digits')
    // Session tokens come from STS with temporary keys; Samsa holds long-term keys only.
    if (request.securityToken !== undefined) {
      throw failed('temporary credentials (x-amz-security-token) are not supported')
    }
    const signedAt = parseAmzDate(request.date)
    const expiresIn = parseExpires(request.expires)
    const scope = parseCredential(request.credential, request.date)
    if (this.region !== undefined && scope.region !== this.region) {
      throw failed(`the request is signed for region ${scope.region}, not ${this.region}`)
    }
    if (request.host === '' || !acceptsHost(request.host.toLowerCase(), scope.region)) {
      throw failed(`the request is signed for host ${request.host}, which this broker does not accept`)
    }
    const now = this.now()
    if (signedAt - this.clockSkewMs > now) {
      throw failed('x-amz-date is in the future, beyond the allowed clock skew')
    }
    const expiresAtMs = signedAt + Math.floor(expiresIn * 1000)
    if (now >= expiresAtMs)
      throw failed(`the signed request expired at ${new Date(expiresAtMs).toISOString()}`)

    const credential = this.credentials.credential(scope.accessKeyId)
    const expected = await presignedSignature(
      request,
      scope,
      credential?.secretAccessKey ?? UNKNOWN_KEY_SECRET,
      new Date(signedAt),
      expiresIn
    )
    const given = Buffer.from(request.signature, 'hex')
    const matches = expected.length === given.length && timingSafeEqual(expected, given)
    if (!matches || credential === undefined) throw failed('invalid access key id or signature')
    return { user: credential.user, accessKeyId: scope.accessKeyId, expiresAtMs }
  }
}

/** The signature the key's secret gives the request, by the same presigner the clients use. */
async function presignedSignature(
  request: MskIamSignedRequest,
  scope: CredentialScope,
  secretAccessKey: string,
  signingDate: Date,
  expiresIn: number
): Promise<Buffer> {
  const signer = new SignatureV4({
    service: SIGNING_SERVICE,
    region: scope.region,
    credentials: { accessKeyId: scope.accessKeyId, secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false
  })
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: request.host,
      path: '/',
      headers: { host: request.host },
      query: { Action: request.action }
    },
    { signingDate, expiresIn }
  )
  const q = presigned.query ?? {}
  // The presigner wrote every signed parameter itself; they must be the ones the client sent.
  if (
    q['X-Amz-Credential'] !== request.credential ||
    q['X-Amz-Date'] !== request.date ||
    q['X-Amz-Expires'] !== request.expires ||
    q['X-Amz-SignedHeaders'] !== request.signedHeaders
  ) {
    throw failed('the signed parameters are not in canonical form')
  }
  return Buffer.from(String(q['X-Amz-Signature']), 'hex')
}
