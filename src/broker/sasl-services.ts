/**
 * What the broker provides its SASL mechanisms once the metadata store is open: the AWS access keys,
 * followed in memory, only when a listener enables AWS_MSK_IAM (otherwise nothing watches them).
 */

import type { AwsAccessKeyRecordStore } from '../cluster/metadata-store.js'
import type { KafkaConfig } from '../config/kafka-config.js'
import { AwsCredentialCache } from '../security/msk-iam/aws-credential-store.js'
import { AWS_MSK_IAM_MECHANISM } from '../security/sasl/aws-msk-iam-sasl-server.js'
import { anyListenerEnables } from '../security/sasl/sasl-mechanisms.js'

export async function awsCredentialsFor(
  config: KafkaConfig,
  store: AwsAccessKeyRecordStore
): Promise<AwsCredentialCache | undefined> {
  if (!anyListenerEnables(config, AWS_MSK_IAM_MECHANISM)) return undefined
  const cache = new AwsCredentialCache(store)
  // The first keys are in before the listeners open, so no client is refused for a key that exists.
  await cache.ready()
  return cache
}
