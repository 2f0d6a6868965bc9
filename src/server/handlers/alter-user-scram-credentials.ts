/**
 * AlterUserScramCredentials (key 51, KIP-554): adds, replaces and removes users' SCRAM credentials. Clients
 * send the salt and salted password (never the password); the controller keeps only the stored and server
 * keys derived from them, and commits every valid change of a request as one metadata write. A broker that
 * is not the controller forwards the request. Per user, as Kafka's controller: a user named more than once in
 * the request is DUPLICATE_RESOURCE, an unknown mechanism UNSUPPORTED_SASL_MECHANISM, an empty name or an
 * iteration count outside 4096..16384 UNACCEPTABLE_CREDENTIAL, deleting a credential that does not exist
 * RESOURCE_NOT_FOUND.
 */

import type { ControllerChannel } from '../../cluster/controller-channel.js'
import type {
  ScramCredentialAlteration,
  UserScramCredentialRecordStore
} from '../../cluster/metadata-store.js'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
  AlterUserScramCredentialsResponseAlterUserScramCredentialsResult as UserResult
} from '../../protocol/messages/alter-user-scram-credentials.js'
import { AlterUserScramCredentialsApi } from '../../protocol/messages/alter-user-scram-credentials.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import {
  credentialFromSaltedPassword,
  MAX_SCRAM_ITERATIONS,
  type ScramMechanism,
  scramMechanismByType
} from '../../security/scram/scram-mechanism.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

export interface AlterUserScramCredentialsDeps {
  readonly controllerChannel: () => ControllerChannel
  readonly credentials: () => UserScramCredentialRecordStore
}

const ALTERED_TWICE = 'A user credential cannot be altered twice in the same request'

interface Failure {
  readonly errorCode: number
  readonly errorMessage: string
}

function validateName(name: string, mechanismType: number): Failure | ScramMechanism {
  if (name === '')
    return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' }
  const m = scramMechanismByType(mechanismType)
  if (!m) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' }
  return m
}

export function createAlterUserScramCredentialsHandler(
  deps: AlterUserScramCredentialsDeps
): ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> {
  return {
    api: AlterUserScramCredentialsApi,
    minVersion: 0,
    maxVersion: 0,
    async handle(request, ctx: RequestContext): Promise<AlterUserScramCredentialsResponse> {
      // Kafka: ALTER on the cluster, every user fails without.
      if (!ctx.authorizeCluster(AclOperation.ALTER)) {
        const users = new Set([...request.deletions, ...request.upsertions].map((x) => x.name))
        return {
          throttleTimeMs: 0,
          results: [...users].map((user) => ({
            user,
            errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            errorMessage: null
          }))
        }
      }
      const remote = await deps
        .controllerChannel()
        .forwardUnlessController<AlterUserScramCredentialsResponse>(
          ctx.forwardingHeader,
          request,
          (errorMessage) => ({
            throttleTimeMs: 0,
            results: [...new Set([...request.deletions, ...request.upsertions].map((a) => a.name))].map(
              (user) => ({ user, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage })
            )
          })
        )
      if (remote) return remote

      const store = deps.credentials()
      const current = await store.userScramCredentials()
      const exists = (user: string, m: ScramMechanism) =>
        current.credentials.some((c) => c.user === user && c.mechanism === m.name)
      const errors = new Map<string, Failure>()
      const deletions = new Map<string, ScramCredentialAlteration>()
      const upsertions = new Map<string, ScramCredentialAlteration>()
      const twice = (user: string): boolean => {
        if (!deletions.delete(user) && !upsertions.delete(user)) return false
        errors.set(user, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: ALTERED_TWICE })
        return true
      }
      for (const { name, mechanism } of request.deletions) {
        if (errors.has(name) || twice(name)) continue
        const m = validateName(name, mechanism)
        if ('errorCode' in m) errors.set(name, m)
        else if (!exists(name, m)) {
          errors.set(name, {
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: 'Attempt to delete a user credential that does not exist'
          })
        } else deletions.set(name, { user: name, mechanism: m.name, credential: null })
      }
      for (const { name, mechanism, iterations, salt, saltedPassword } of request.upsertions) {
        if (errors.has(name) || twice(name)) continue
        const m = validateName(name, mechanism)
        if ('errorCode' in m) errors.set(name, m)
        else if (iterations < m.minIterations) {
          errors.set(name, {
            errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL,
            errorMessage: 'Too few iterations'
          })
        } else if (iterations > MAX_SCRAM_ITERATIONS) {
          errors.set(name, {
            errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL,
            errorMessage: 'Too many iterations'
          })
        } else {
          const credential = credentialFromSaltedPassword(m, salt, saltedPassword, iterations)
          upsertions.set(name, { user: name, mechanism: m.name, credential })
        }
      }

      const changes = [...deletions.values(), ...upsertions.values()]
      let outcome: Failure | null = null
      try {
        await store.alterUserScramCredentials(changes)
      } catch (err) {
        outcome =
          err instanceof KafkaError
            ? { errorCode: err.code, errorMessage: err.message }
            : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The metadata write failed' }
      }
      const results: UserResult[] = changes.map(({ user }) => ({
        user,
        errorCode: outcome?.errorCode ?? ErrorCode.NONE,
        errorMessage: outcome?.errorMessage ?? null
      }))
      for (const [user, failure] of errors) results.push({ user, ...failure })
      return { throttleTimeMs: 0, results }
    }
  }
}
