/**
 * CreateAcls (key 30): adds ACL bindings. Needs an authorizer (SECURITY_DISABLED without) and ALTER on the
 * cluster; a broker that is not the controller forwards the request, and the controller stores every valid
 * new binding of a request in one metadata write, which every broker's authorizer then follows. As Kafka's
 * AclControlManager: an invalid binding is INVALID_REQUEST, one that exists already succeeds without a
 * second copy.
 */

import type { ControllerChannel } from '../../cluster/controller-channel.js'
import { randomUuid } from '../../cluster/kafka-uuid.js'
import type { AclRecord, AclRecordStore } from '../../cluster/metadata-store.js'
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js'
import {
  CreateAclsApi,
  type CreateAclsRequest,
  type CreateAclsResponse,
  type CreateAclsResponseAclCreationResult as CreationResult
} from '../../protocol/messages/create-acls.js'
import {
  AclOperation,
  invalidAclReason,
  PatternType,
  type StandardAcl,
  sameAcl
} from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

export interface AclHandlerDeps {
  readonly controllerChannel: () => ControllerChannel
  readonly acls: () => AclRecordStore
}

export const NO_AUTHORIZER = 'No Authorizer is configured.'

export function createCreateAclsHandler(
  deps: AclHandlerDeps
): ApiHandler<CreateAclsRequest, CreateAclsResponse> {
  return {
    api: CreateAclsApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(request, ctx: RequestContext): Promise<CreateAclsResponse> {
      const all = (errorCode: number, errorMessage: string | null): CreateAclsResponse => ({
        throttleTimeMs: 0,
        results: request.creations.map(() => ({ errorCode, errorMessage }))
      })
      if (!ctx.authorizerEnabled) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER)
      if (!ctx.authorizeCluster(AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
      const remote = await deps
        .controllerChannel()
        .forwardUnlessController<CreateAclsResponse>(ctx.forwardingHeader, request, (message) =>
          all(ErrorCode.NOT_CONTROLLER, message)
        )
      if (remote) return remote

      const store = deps.acls()
      const existing: readonly StandardAcl[] = (await store.acls()).acls
      const added: AclRecord[] = []
      const results: CreationResult[] = request.creations.map((c) => {
        const acl: StandardAcl = {
          resourceType: c.resourceType,
          resourceName: c.resourceName,
          patternType: c.resourcePatternType ?? PatternType.LITERAL,
          principal: c.principal,
          host: c.host,
          operation: c.operation,
          permissionType: c.permissionType
        }
        const invalid = invalidAclReason(acl)
        if (invalid !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid }
        if (!existing.some((e) => sameAcl(e, acl)) && !added.some((a) => sameAcl(a, acl)))
          added.push({ id: randomUuid(), ...acl })
        return { errorCode: ErrorCode.NONE, errorMessage: null }
      })
      try {
        await store.alterAcls(added, [])
      } catch (err) {
        const failure =
          err instanceof KafkaError
            ? { errorCode: err.code, errorMessage: err.message }
            : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The metadata write failed' }
        return {
          throttleTimeMs: 0,
          results: results.map((r) => (r.errorCode === ErrorCode.NONE ? failure : r))
        }
      }
      return { throttleTimeMs: 0, results }
    }
  }
}
