/** DescribeCluster (key 60): the live brokers, the controller and the cluster id (the admin client's view). */

import { ErrorCode } from '../../protocol/error-codes.js'
import {
  DescribeClusterApi,
  type DescribeClusterRequest,
  type DescribeClusterResponse
} from '../../protocol/messages/describe-cluster.js'
import { CLUSTER_NAME, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import { ALL_CLUSTER_OPERATIONS, AUTHORIZED_OPERATIONS_OMITTED, type HandlerDeps } from './handler-deps.js'
import { listenerEndPoint } from './listener-endpoint.js'

const BROKERS_ENDPOINT = 1

export function createDescribeClusterHandler(
  deps: HandlerDeps
): ApiHandler<DescribeClusterRequest, DescribeClusterResponse> {
  return {
    api: DescribeClusterApi,
    minVersion: 0,
    maxVersion: 1,
    handle(request: DescribeClusterRequest, ctx: RequestContext): DescribeClusterResponse {
      const endpointType = request.endpointType ?? BROKERS_ENDPOINT
      const base = {
        throttleTimeMs: 0,
        endpointType,
        clusterId: deps.metadataCache.clusterId,
        controllerId: deps.controllerChannel.controllerId(),
        clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
          ? ctx.authorizedOperations(ResourceType.CLUSTER, CLUSTER_NAME, ALL_CLUSTER_OPERATIONS)
          : AUTHORIZED_OPERATIONS_OMITTED
      }
      // A broker describes brokers only; controller endpoints are asked of controllers (KIP-919).
      if (endpointType !== BROKERS_ENDPOINT) {
        return {
          ...base,
          errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: 'The broker only handles DescribeCluster requests for BROKER endpoints.',
          brokers: []
        }
      }
      // Endpoints of the client's listener; brokers without it are left out, as Kafka does.
      const brokers = deps.metadataCache.liveBrokers().flatMap((b) => {
        const listener = ctx.connection.listenerName
        const e = listenerEndPoint(b, listener, deps.config.nodeId, deps.advertisedEndPoints)
        return e ? [{ brokerId: b.nodeId, host: e.host, port: e.port, rack: b.rack }] : []
      })
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, brokers }
    }
  }
}
