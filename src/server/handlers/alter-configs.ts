/**
 * AlterConfigs (key 33), the legacy form: the configs given replace the resource's whole override set, so
 * topic overrides not named in the request are removed. Topic changes go through the controller.
 */

import {
  AlterConfigsApi,
  type AlterConfigsRequest,
  type AlterConfigsRequestAlterConfigsResource,
  type AlterConfigsResponse
} from '../../protocol/messages/alter-configs.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import { alterConfigResources, type ConfigAlterations } from '../admin/alter-config-resources.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import { authorizeAlterations } from './config-authorization.js'
import type { HandlerDeps } from './handler-deps.js'

/** Replacing the whole set: what is overridden now but not named any more goes back to the default. */
const REPLACE_ALL: ConfigAlterations<AlterConfigsRequestAlterConfigsResource> = {
  nullAllowed: () => false,
  topicChanges(resource, current) {
    const changes: Record<string, string | null> = {}
    for (const key of Object.keys(current)) changes[key] = null
    for (const c of resource.configs) changes[c.name] = c.value
    return changes
  }
}

export function createAlterConfigsHandler(
  deps: HandlerDeps
): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  return {
    api: AlterConfigsApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(request: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponse> {
      const { allowed, denied } = authorizeAlterations(ctx, AclOperation.ALTER_CONFIGS, request.resources)
      const altered = await alterConfigResources(
        deps,
        ctx.forwardingHeader,
        { ...request, resources: allowed },
        REPLACE_ALL
      )
      return { ...altered, responses: [...altered.responses, ...denied] }
    }
  }
}
