/**
 * The checks a ConsumerGroupHeartbeat goes through before it changes anything (KIP-848): the request's own
 * consistency, and the member epoch it claims against the one the coordinator knows.
 */

import { ErrorCode, KafkaError } from '../../../protocol/error-codes.js'
import type { ConsumerGroupHeartbeatRequest } from '../../../protocol/messages/consumer-group-heartbeat.js'
import { type Assignment, isSubset } from './assignment.js'
import { assignorNamed } from './assignors.js'
import { fullMatch } from './consumer-group.js'
import {
  type ConsumerGroupMember,
  JOIN_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH
} from './consumer-group-member.js'

/** ConsumerGroupHeartbeat v1+: the client generates its member id (KIP-1082). */
const CLIENT_MEMBER_ID_VERSION = 1

/** Kafka's request checks (throwIfConsumerGroupHeartbeatRequestIsInvalid), all INVALID_REQUEST or worse. */
export function validateHeartbeatRequest(r: ConsumerGroupHeartbeatRequest, apiVersion: number): void {
  const invalid = (message: string) => new KafkaError(ErrorCode.INVALID_REQUEST, message)
  if (r.groupId === '') throw invalid("GroupId can't be empty.")
  if (r.instanceId === '') throw invalid("InstanceId can't be empty.")
  if (r.rackId === '') throw invalid("RackId can't be empty.")
  if (apiVersion >= CLIENT_MEMBER_ID_VERSION && r.memberId === '') throw invalid("MemberId can't be empty.")
  if (r.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
    if (r.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.')
    if (r.topicPartitions === null || r.topicPartitions.length > 0) {
      throw invalid('TopicPartitions must be empty when (re-)joining.')
    }
    if (r.subscribedTopicNames === null && r.subscribedTopicRegex == null) {
      throw invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.')
    }
  } else if (r.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (r.instanceId === null) throw invalid("InstanceId can't be null.")
  } else if (r.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    throw invalid(`MemberEpoch is invalid.`)
  }
  if (r.memberEpoch !== JOIN_GROUP_MEMBER_EPOCH && r.memberId === '')
    throw invalid("MemberId can't be empty.")
  if (r.serverAssignor !== null && assignorNamed(r.serverAssignor) === undefined) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      `ServerAssignor ${r.serverAssignor} is not supported.`
    )
  }
  if (r.subscribedTopicRegex != null && r.subscribedTopicRegex !== '') {
    try {
      fullMatch(r.subscribedTopicRegex)
    } catch {
      throw new KafkaError(
        ErrorCode.INVALID_REGULAR_EXPRESSION,
        `SubscribedTopicRegex ${r.subscribedTopicRegex} is invalid.`
      )
    }
  }
}

/**
 * A member at a newer epoch than ours is from the future (FENCED_MEMBER_EPOCH). An older one is fenced too,
 * unless it is the previous epoch and owns nothing beyond the current assignment: then only our last
 * response was lost.
 */
export function throwIfEpochInvalid(
  member: ConsumerGroupMember,
  received: number,
  owned: Assignment | null
): void {
  if (received === member.memberEpoch) return
  const lostResponse =
    received < member.memberEpoch &&
    received === member.previousMemberEpoch &&
    owned !== null &&
    isSubset(owned, member.assignedPartitions)
  if (!lostResponse) {
    throw new KafkaError(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}).`.replace(
        'smaller',
        received > member.memberEpoch ? 'greater' : 'smaller'
      )
    )
  }
}
