/**
 * The signed request an MSK IAM client presents: a SigV4 presigned `GET https://<host>/?Action=
 * kafka-cluster%3AConnect&X-Amz-...`, signed header `host`, service `kafka-cluster`. It comes in two shapes:
 *
 * - AWS_MSK_IAM (aws-msk-iam-auth's AWS4SignedPayloadGenerator and the kafkajs/librdkafka ports of it): one
 *   JSON object holding the query parameters with lower-cased names, the host header, "version" 2020_10_22
 *   and a "user-agent" that is not signed;
 * - OAUTHBEARER (aws-msk-iam-sasl-signer-*): the presigned URL itself, base64url-encoded, with an unsigned
 *   User-Agent parameter appended after signing.
 *
 * Both are read into one MskIamSignedRequest here, checked for form only; msk-iam-verifier.ts decides.
 * Parse errors are SaslAuthenticationErrors whose messages never quote a signature or a token.
 */

import { SaslAuthenticationError } from '../sasl/sasl-server.js'

export const MSK_IAM_VERSION = '2020_10_22'
export const CONNECT_ACTION = 'kafka-cluster:Connect'

export interface MskIamSignedRequest {
  /** The host the client signed for (the `host` header, or the URL's host). */
  readonly host: string
  readonly action: string
  readonly algorithm: string
  /** `<access key id>/<yyyymmdd>/<region>/kafka-cluster/aws4_request` */
  readonly credential: string
  /** `yyyymmddThhmmssZ` */
  readonly date: string
  /** Seconds after `date` the signature is valid for. */
  readonly expires: string
  readonly signedHeaders: string
  readonly signature: string
  readonly securityToken: string | undefined
}

/** The JSON fields of AWS_MSK_IAM; the query parameters of the OAUTHBEARER URL map to the same ones. */
const PAYLOAD_FIELDS = {
  action: 'action',
  algorithm: 'x-amz-algorithm',
  credential: 'x-amz-credential',
  date: 'x-amz-date',
  expires: 'x-amz-expires',
  signedHeaders: 'x-amz-signedheaders',
  signature: 'x-amz-signature'
} as const

const URL_PARAMETERS: Readonly<Record<string, keyof MskIamSignedRequest>> = {
  Action: 'action',
  'X-Amz-Algorithm': 'algorithm',
  'X-Amz-Credential': 'credential',
  'X-Amz-Date': 'date',
  'X-Amz-Expires': 'expires',
  'X-Amz-SignedHeaders': 'signedHeaders',
  'X-Amz-Signature': 'signature',
  'X-Amz-Security-Token': 'securityToken'
}
/** Appended after signing by the signer libraries, so not covered by the signature. */
const UNSIGNED_URL_PARAMETERS = new Set(['User-Agent'])

function invalid(what: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Invalid AWS_MSK_IAM authentication payload: ${what}`)
}

/** The client's one AWS_MSK_IAM message: a UTF-8 JSON object. */
export function parseMskIamPayload(token: Buffer): MskIamSignedRequest {
  let parsed: unknown
  try {
    parsed = JSON.parse(token.toString('utf8'))
  } catch {
    throw invalid('not a JSON object')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('not a JSON object')
  const fields = parsed as Record<string, unknown>
  const text = (name: string, optional = false): string | undefined => {
    const value = fields[name]
    if (value === undefined || value === null) {
      if (optional) return undefined
      throw invalid(`missing "${name}"`)
    }
    if (typeof value !== 'string') throw invalid(`"${name}" is not a string`)
    return value
  }
  const version = text('version')
  if (version !== MSK_IAM_VERSION) throw invalid(`unsupported version (expected ${MSK_IAM_VERSION})`)
  return {
    host: text('host')!,
    action: text(PAYLOAD_FIELDS.action)!,
    algorithm: text(PAYLOAD_FIELDS.algorithm)!,
    credential: text(PAYLOAD_FIELDS.credential)!,
    date: text(PAYLOAD_FIELDS.date)!,
    expires: text(PAYLOAD_FIELDS.expires)!,
    signedHeaders: text(PAYLOAD_FIELDS.signedHeaders)!,
    signature: text(PAYLOAD_FIELDS.signature)!,
    securityToken: text('x-amz-security-token', true)
  }
}

function invalidToken(what: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Invalid MSK IAM token: ${what}`)
}

/** An aws-msk-iam-sasl-signer token: base64url (unpadded) of the presigned https URL. */
export function parseMskIamToken(token: string): MskIamSignedRequest {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw invalidToken('not base64url')
  let url: URL
  try {
    url = new URL(Buffer.from(token, 'base64url').toString('utf8'))
  } catch {
    throw invalidToken('not a presigned URL')
  }
  if (url.protocol !== 'https:') throw invalidToken('not an https URL')
  if (url.username !== '' || url.password !== '' || url.port !== '' || url.hash !== '') {
    throw invalidToken('the URL carries more than a host, a path and a query')
  }
  if (url.pathname !== '/') throw invalidToken('the path is not /')
  const values: Partial<Record<keyof MskIamSignedRequest, string>> = { host: url.hostname }
  for (const [name, value] of url.searchParams) {
    if (UNSIGNED_URL_PARAMETERS.has(name)) continue
    const field = URL_PARAMETERS[name]
    if (field === undefined) throw invalidToken(`unexpected query parameter ${name}`)
    if (values[field] !== undefined) throw invalidToken(`query parameter ${name} appears twice`)
    values[field] = value
  }
  const required = (field: keyof MskIamSignedRequest, name: string): string => {
    const value = values[field]
    if (value === undefined) throw invalidToken(`missing query parameter ${name}`)
    return value
  }
  return {
    host: url.hostname,
    action: required('action', 'Action'),
    algorithm: required('algorithm', 'X-Amz-Algorithm'),
    credential: required('credential', 'X-Amz-Credential'),
    date: required('date', 'X-Amz-Date'),
    expires: required('expires', 'X-Amz-Expires'),
    signedHeaders: required('signedHeaders', 'X-Amz-SignedHeaders'),
    signature: required('signature', 'X-Amz-Signature'),
    securityToken: values.securityToken
  }
}
