/** ConsumerGroupDescribe (key 69, KIP-848): epochs, state, members and their current and target assignments. */

import type { ConsumerGroupCoordinator } from '../../coordinator/group/consumer/consumer-group-coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  ConsumerGroupDescribeApi,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse
} from '../../protocol/messages/consumer-group-describe.js'
import { AclOperation, ResourceType } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'

/** Kafka's "not requested" marker for authorized operations (Integer.MIN_VALUE). */
const OPERATIONS_NOT_REQUESTED = -2147483648
/** Without ACLs: READ (3), DELETE (6) and DESCRIBE (8), as a bit field of Kafka's AclOperation codes. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)

export function createConsumerGroupDescribeHandler(
  consumerGroups: ConsumerGroupCoordinator
): ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> {
  return {
    api: ConsumerGroupDescribeApi,
    minVersion: 0,
    maxVersion: 0,
    handle(request, ctx) {
      const ops = request.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED
      // Kafka: DESCRIBE on each group; the bits are the principal's own.
      const allowed = request.groupIds.filter((g) =>
        ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, g)
      )
      const described = consumerGroups.describe(allowed, ops)
      const groups = request.groupIds.map((groupId) => {
        const g = described.find((d) => d.groupId === groupId)
        if (!g)
          return {
            errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
            errorMessage: null,
            groupId,
            groupState: '',
            groupEpoch: -1,
            assignmentEpoch: -1,
            assignorName: '',
            members: [],
            authorizedOperations: OPERATIONS_NOT_REQUESTED
          }
        return request.includeAuthorizedOperations
          ? {
              ...g,
              authorizedOperations: ctx.authorizedOperations(
                ResourceType.GROUP,
                groupId,
                ALL_GROUP_OPERATIONS
              )
            }
          : g
      })
      return { throttleTimeMs: 0, groups }
    }
  }
}
