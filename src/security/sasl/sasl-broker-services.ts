/**
 * What a SASL mechanism may need of the running broker beyond its JAAS options: known only once the broker
 * has started (the metadata store is open, the listeners are bound), so mechanisms reach it when a
 * connection authenticates, not when the listener's mechanisms are built from the configuration.
 */

import type { AwsCredentialStore } from '../msk-iam/aws-credential-store.js'

export interface SaslBrokerServices {
  /** The AWS access keys of the cluster metadata (AWS_MSK_IAM, MSK IAM OAUTHBEARER tokens). */
  readonly awsCredentials: AwsCredentialStore
  /** The host a listener advertises: clients sign for the host they connect to. */
  advertisedHost(listenerName: string): string | undefined
}

/** Undefined until the broker has started. */
export type SaslBrokerServicesProvider = () => SaslBrokerServices | undefined

/** What a mechanism module is given besides its JAAS login module. */
export interface SaslMechanismEnvironment {
  /** The listener's name, as configured. */
  readonly listener: string
  readonly services: SaslBrokerServicesProvider
}
