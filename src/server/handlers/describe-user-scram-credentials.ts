/**
 * DescribeUserScramCredentials (key 50, KIP-554): the mechanisms and iteration counts of users' SCRAM
 * credentials, never their salts or keys, from this broker's credential cache. No users (null or empty) means
 * every user; a user named twice gets DUPLICATE_RESOURCE and one without credentials RESOURCE_NOT_FOUND,
 * each in its own result, with Kafka's messages.
 */

import type { ScramCredentialRecord, ScramMechanismName } from '../../cluster/metadata-store.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type {
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsResponse,
  DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult as UserResult
} from '../../protocol/messages/describe-user-scram-credentials.js'
import { DescribeUserScramCredentialsApi } from '../../protocol/messages/describe-user-scram-credentials.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import { scramMechanismByName } from '../../security/scram/scram-mechanism.js'
import type { ApiHandler } from '../api-registry.js'

export interface DescribeUserScramCredentialsDeps {
  /** Every user with at least one credential (the broker's ScramCredentialCache). */
  readonly users: () => ReadonlyMap<string, ReadonlyMap<ScramMechanismName, ScramCredentialRecord>>
}

export function createDescribeUserScramCredentialsHandler(
  deps: DescribeUserScramCredentialsDeps
): ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> {
  return {
    api: DescribeUserScramCredentialsApi,
    minVersion: 0,
    maxVersion: 0,
    handle(request, ctx) {
      if (!ctx.authorizeCluster(AclOperation.DESCRIBE))
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: null,
          results: []
        }
      const users = deps.users()
      const describe = (user: string): UserResult => {
        const mechanisms = users.get(user)
        if (!mechanisms || mechanisms.size === 0) {
          return {
            user,
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
            credentialInfos: []
          }
        }
        return {
          user,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          credentialInfos: [...mechanisms]
            .map(([mechanism, credential]) => ({
              mechanism: scramMechanismByName(mechanism)?.type ?? 0,
              iterations: credential.iterations
            }))
            .sort((a, b) => a.mechanism - b.mechanism)
        }
      }
      const requested = request.users
      let results: UserResult[]
      if (requested === null || requested.length === 0) {
        results = [...users.keys()].map(describe)
      } else {
        const counts = new Map<string, number>()
        for (const { name } of requested) counts.set(name, (counts.get(name) ?? 0) + 1)
        results = [...counts].map(([user, count]) =>
          count > 1
            ? {
                user,
                errorCode: ErrorCode.DUPLICATE_RESOURCE,
                errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
                credentialInfos: []
              }
            : describe(user)
        )
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results }
    }
  }
}
