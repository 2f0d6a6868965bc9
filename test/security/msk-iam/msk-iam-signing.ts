/**
 * Test kit: signs MSK IAM Connect requests as the clients do, with @smithy/signature-v4's presigner, and
 * lays them out as aws-msk-iam-auth's AWS4SignedPayloadGenerator does (query parameters with lower-cased
 * names, the host header, version and user-agent).
 */

import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import type { AwsCredential, AwsCredentialStore } from '../../../src/security/msk-iam/aws-credential-store.js'

export const ALICE_KEY_ID = 'AKIASAMSATESTALICE01'
export const ALICE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYALICEKEY01'

export function credentialStore(keys: Readonly<Record<string, AwsCredential>>): AwsCredentialStore {
  return { credential: (id) => keys[id] }
}

export const aliceStore = (): AwsCredentialStore =>
  credentialStore({ [ALICE_KEY_ID]: { user: 'alice', secretAccessKey: ALICE_SECRET } })

export interface SignOptions {
  readonly host?: string
  readonly accessKeyId?: string
  readonly secretAccessKey?: string
  readonly sessionToken?: string
  readonly region?: string
  readonly service?: string
  readonly signingDate?: Date
  readonly expiresIn?: number
  readonly action?: string
}

/** The JSON object an AWS_MSK_IAM client sends, as a mutable record so tests can tamper with it. */
export async function signedPayload(options: SignOptions = {}): Promise<Record<string, string>> {
  const host = options.host ?? 'broker-1.samsa.test'
  const signer = new SignatureV4({
    service: options.service ?? 'kafka-cluster',
    region: options.region ?? 'eu-west-1',
    credentials: {
      accessKeyId: options.accessKeyId ?? ALICE_KEY_ID,
      secretAccessKey: options.secretAccessKey ?? ALICE_SECRET,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {})
    },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false
  })
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      headers: { host },
      query: { Action: options.action ?? 'kafka-cluster:Connect' }
    },
    { signingDate: options.signingDate ?? new Date(), expiresIn: options.expiresIn ?? 900 }
  )
  const payload: Record<string, string> = { version: '2020_10_22', 'user-agent': 'samsa-test', host }
  for (const [name, value] of Object.entries(presigned.query ?? {}))
    payload[name.toLowerCase()] = String(value)
  return payload
}

export const asToken = (payload: Record<string, string>): Buffer =>
  Buffer.from(JSON.stringify(payload), 'utf8')
