/** ApiVersions (key 18): reports the version range of every registered handler. */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  ApiVersionsApi,
  type ApiVersionsRequest,
  type ApiVersionsResponse
} from '../../protocol/messages/api-versions.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'

/** KIP-511: client software name and version must match this, or Kafka answers INVALID_REQUEST. */
const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export const apiVersionsHandler: ApiHandler<ApiVersionsRequest, ApiVersionsResponse> = {
  api: ApiVersionsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(request: ApiVersionsRequest, ctx: RequestContext): ApiVersionsResponse {
    if (ctx.apiVersion >= 3 && !isValidSoftware(request)) {
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 }
    }
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: ctx.broker.apiRegistry.versionRanges().map((r) => ({ ...r })),
      throttleTimeMs: 0,
      // Samsa has no feature flags yet; both lists stay empty and the finalized epoch unknown (-1).
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: []
    }
  }
}

function isValidSoftware(request: ApiVersionsRequest): boolean {
  return (
    SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareName ?? '') &&
    SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareVersion ?? '')
  )
}
