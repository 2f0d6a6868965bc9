/**
 * What the broker provides its SASL mechanisms once the metadata store is open: the AWS access keys,
 * followed in memory, only when a listener enables AWS_MSK_IAM or validates MSK IAM tokens over OAUTHBEARER
 * (otherwise nothing watches them).
 */

import type { AwsAccessKeyRecordStore } from '../cluster/metadata-store.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { AwsCredentialCache } from '../security/msk-iam/aws-credential-store.js'
import { anyListenerUsesAwsCredentials } from '../security/sasl/sasl-mechanisms.js'

/** How long startup waits for the first read of the keys (etcd unreachable: the broker fails to start). */
const READY_TIMEOUT_MS = 30_000

export async function awsCredentialsFor(
  config: KafkaConfig,
  store: AwsAccessKeyRecordStore
): Promise<AwsCredentialCache | undefined> {
  if (!anyListenerUsesAwsCredentials(config)) return undefined
  const cache = new AwsCredentialCache(store)
  // The first keys are in before the listeners open, so no client is refused for a key that exists.
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('the AWS access keys could not be read from the metadata store')),
      READY_TIMEOUT_MS
    )
  })
  try {
    await Promise.race([cache.ready(), timeout])
  } catch (err) {
    cache.close()
    throw err
  } finally {
    clearTimeout(timer)
  }
  return cache
}
