/**
 * Kafka's protocol error codes: the single table the broker maps failures to. Names and codes are Kafka's
 * (clients/.../protocol/Errors.java); `retriable` mirrors whether Kafka's exception for the code extends
 * RetriableException, which is what clients use to decide on a retry. Messages are short defaults.
 */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  STALE_CONTROLLER_EPOCH: 11,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  DELEGATION_TOKEN_AUTH_DISABLED: 61,
  DELEGATION_TOKEN_NOT_FOUND: 62,
  DELEGATION_TOKEN_OWNER_MISMATCH: 63,
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: 64,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 65,
  DELEGATION_TOKEN_EXPIRED: 66,
  INVALID_PRINCIPAL_TYPE: 67,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  RESOURCE_NOT_FOUND: 91,
  DUPLICATE_RESOURCE: 92,
  UNACCEPTABLE_CREDENTIAL: 93,
  INCONSISTENT_VOTER_SET: 94,
  INVALID_UPDATE_VERSION: 95,
  FEATURE_UPDATE_FAILED: 96,
  PRINCIPAL_DESERIALIZATION_FAILURE: 97,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
  UNKNOWN_TOPIC_ID: 100,
  DUPLICATE_BROKER_REGISTRATION: 101,
  BROKER_ID_NOT_REGISTERED: 102,
  INCONSISTENT_TOPIC_ID: 103,
  INCONSISTENT_CLUSTER_ID: 104,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  OFFSET_MOVED_TO_TIERED_STORAGE: 109,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
  UNKNOWN_CONTROLLER_ID: 116,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  INVALID_REGISTRATION: 119,
  TRANSACTION_ABORTABLE: 120,
  INVALID_RECORD_STATE: 121,
  SHARE_SESSION_NOT_FOUND: 122,
  INVALID_SHARE_SESSION_EPOCH: 123,
  FENCED_STATE_EPOCH: 124,
  INVALID_VOTER_KEY: 125,
  DUPLICATE_VOTER: 126,
  VOTER_NOT_FOUND: 127,
  INVALID_REGULAR_EXPRESSION: 128,
  REBOOTSTRAP_REQUIRED: 129,
  STREAMS_INVALID_TOPOLOGY: 130,
  STREAMS_INVALID_TOPOLOGY_EPOCH: 131,
  STREAMS_TOPOLOGY_FENCED: 132,
  SHARE_SESSION_LIMIT_REACHED: 133
} as const

export type ErrorName = keyof typeof ErrorCode

export interface ErrorInfo {
  name: ErrorName | 'UNKNOWN'
  code: number
  retriable: boolean
  message: string
}

// Keyed by name so the compiler rejects a code without details, and the reverse.
const DETAILS: { readonly [K in ErrorName]: readonly [retriable: boolean, message: string] } = {
  UNKNOWN_SERVER_ERROR: [false, 'Unexpected server error while handling the request.'],
  NONE: [false, 'No error.'],
  OFFSET_OUT_OF_RANGE: [false, 'The offset is outside the range held for this partition.'],
  CORRUPT_MESSAGE: [
    true,
    'The record batch failed its CRC check, has an invalid size, or is otherwise corrupt.'
  ],
  UNKNOWN_TOPIC_OR_PARTITION: [true, 'This broker does not host the requested topic or partition.'],
  INVALID_FETCH_SIZE: [false, 'The fetch size is invalid.'],
  LEADER_NOT_AVAILABLE: [true, 'The partition has no leader right now (leader election in progress).'],
  NOT_LEADER_OR_FOLLOWER: [true, 'This broker is not the leader or a follower for the partition.'],
  REQUEST_TIMED_OUT: [true, 'The request timed out.'],
  BROKER_NOT_AVAILABLE: [false, 'The broker is not available.'],
  REPLICA_NOT_AVAILABLE: [true, 'The replica is not available for the partition.'],
  MESSAGE_TOO_LARGE: [false, 'A message is larger than the maximum size the broker accepts.'],
  STALE_CONTROLLER_EPOCH: [false, 'The controller epoch is stale; the controller has moved.'],
  OFFSET_METADATA_TOO_LARGE: [false, 'The offset commit metadata is too large.'],
  NETWORK_EXCEPTION: [true, 'The connection was closed before a response was received.'],
  COORDINATOR_LOAD_IN_PROGRESS: [true, 'The coordinator is still loading and cannot serve requests yet.'],
  COORDINATOR_NOT_AVAILABLE: [true, 'The coordinator is not available.'],
  NOT_COORDINATOR: [true, 'This broker is not the coordinator for the group or transaction.'],
  INVALID_TOPIC_EXCEPTION: [
    false,
    'The topic name is invalid or the topic cannot be used for this operation.'
  ],
  RECORD_LIST_TOO_LARGE: [false, 'The record batch is larger than the segment size.'],
  NOT_ENOUGH_REPLICAS: [true, 'Fewer in-sync replicas than required; the write was rejected.'],
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: [
    true,
    'The write was appended, but to fewer in-sync replicas than required.'
  ],
  INVALID_REQUIRED_ACKS: [false, 'The produce request has an invalid acks value.'],
  ILLEGAL_GENERATION: [false, 'The group generation id is not valid.'],
  INCONSISTENT_GROUP_PROTOCOL: [false, "The member's protocols are incompatible with the group's."],
  INVALID_GROUP_ID: [false, 'The group id is invalid.'],
  UNKNOWN_MEMBER_ID: [false, 'The coordinator does not know this member id.'],
  INVALID_SESSION_TIMEOUT: [false, 'The session timeout is outside the range the broker allows.'],
  REBALANCE_IN_PROGRESS: [false, 'The group is rebalancing; the member must rejoin.'],
  INVALID_COMMIT_OFFSET_SIZE: [false, 'The size of the committed offset data is invalid.'],
  TOPIC_AUTHORIZATION_FAILED: [false, 'Not authorized to access the topic.'],
  GROUP_AUTHORIZATION_FAILED: [false, 'Not authorized to access the group.'],
  CLUSTER_AUTHORIZATION_FAILED: [false, 'Not authorized for this cluster operation.'],
  INVALID_TIMESTAMP: [false, 'The timestamp is outside the acceptable range.'],
  UNSUPPORTED_SASL_MECHANISM: [false, 'The SASL mechanism is not supported by the broker.'],
  ILLEGAL_SASL_STATE: [false, 'The request is not valid in the current SASL state.'],
  UNSUPPORTED_VERSION: [false, 'The API version is not supported.'],
  TOPIC_ALREADY_EXISTS: [false, 'A topic with this name already exists.'],
  INVALID_PARTITIONS: [false, 'The number of partitions is invalid.'],
  INVALID_REPLICATION_FACTOR: [false, 'The replication factor is invalid.'],
  INVALID_REPLICA_ASSIGNMENT: [false, 'The replica assignment is invalid.'],
  INVALID_CONFIG: [false, 'The configuration is invalid.'],
  NOT_CONTROLLER: [true, 'This broker is not the active controller.'],
  INVALID_REQUEST: [false, 'The request is malformed or not valid for this broker.'],
  UNSUPPORTED_FOR_MESSAGE_FORMAT: [false, 'The message format version does not support this request.'],
  POLICY_VIOLATION: [false, 'The request violates a configured policy.'],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [false, 'The producer sequence number is out of order.'],
  DUPLICATE_SEQUENCE_NUMBER: [false, 'The producer sequence number is a duplicate.'],
  INVALID_PRODUCER_EPOCH: [false, 'The producer epoch is stale.'],
  INVALID_TXN_STATE: [false, 'The transactional operation is not valid in the current transaction state.'],
  INVALID_PRODUCER_ID_MAPPING: [false, 'The producer id is not assigned to this transactional id.'],
  INVALID_TRANSACTION_TIMEOUT: [false, "The transaction timeout exceeds the broker's maximum."],
  CONCURRENT_TRANSACTIONS: [true, 'Another operation on the same transaction is in progress.'],
  TRANSACTION_COORDINATOR_FENCED: [
    false,
    'The transaction coordinator that sent this marker has been fenced.'
  ],
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: [false, 'Not authorized for this transactional id.'],
  SECURITY_DISABLED: [false, 'Security features are disabled.'],
  OPERATION_NOT_ATTEMPTED: [false, 'The operation was not attempted.'],
  KAFKA_STORAGE_ERROR: [true, 'A disk error occurred while accessing the log.'],
  LOG_DIR_NOT_FOUND: [false, 'The requested log directory is not configured on the broker.'],
  SASL_AUTHENTICATION_FAILED: [false, 'SASL authentication failed.'],
  UNKNOWN_PRODUCER_ID: [false, 'The broker has no state for this producer id.'],
  REASSIGNMENT_IN_PROGRESS: [false, 'A partition reassignment is in progress.'],
  DELEGATION_TOKEN_AUTH_DISABLED: [false, 'Delegation token authentication is disabled.'],
  DELEGATION_TOKEN_NOT_FOUND: [false, 'The delegation token was not found.'],
  DELEGATION_TOKEN_OWNER_MISMATCH: [
    false,
    'The principal is not the owner or renewer of the delegation token.'
  ],
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: [false, 'Delegation token requests are not allowed on this channel.'],
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: [false, 'Not authorized for this delegation token operation.'],
  DELEGATION_TOKEN_EXPIRED: [false, 'The delegation token has expired.'],
  INVALID_PRINCIPAL_TYPE: [false, 'The principal type is not supported.'],
  NON_EMPTY_GROUP: [false, 'The group is not empty.'],
  GROUP_ID_NOT_FOUND: [false, 'The group id does not exist.'],
  FETCH_SESSION_ID_NOT_FOUND: [true, 'The fetch session id was not found.'],
  INVALID_FETCH_SESSION_EPOCH: [true, 'The fetch session epoch is invalid.'],
  LISTENER_NOT_FOUND: [true, 'The leader has no listener matching the one this request came in on.'],
  TOPIC_DELETION_DISABLED: [false, 'Topic deletion is disabled.'],
  FENCED_LEADER_EPOCH: [true, "The leader epoch in the request is older than the broker's."],
  UNKNOWN_LEADER_EPOCH: [true, "The leader epoch in the request is newer than the broker's."],
  UNSUPPORTED_COMPRESSION_TYPE: [false, 'The compression type is not supported here.'],
  STALE_BROKER_EPOCH: [false, 'The broker epoch is stale.'],
  OFFSET_NOT_AVAILABLE: [true, 'The offset is not available yet after a recent leader change.'],
  MEMBER_ID_REQUIRED: [false, 'The member must obtain a member id before joining the group.'],
  PREFERRED_LEADER_NOT_AVAILABLE: [true, 'The preferred leader is not available.'],
  GROUP_MAX_SIZE_REACHED: [false, 'The group has reached its maximum size.'],
  FENCED_INSTANCE_ID: [false, 'Another member with the same group instance id has registered.'],
  ELIGIBLE_LEADERS_NOT_AVAILABLE: [true, 'No eligible leader is available for the partition.'],
  ELECTION_NOT_NEEDED: [true, 'No leader election is needed for the partition.'],
  NO_REASSIGNMENT_IN_PROGRESS: [false, 'No partition reassignment is in progress.'],
  GROUP_SUBSCRIBED_TO_TOPIC: [false, 'Offsets cannot be deleted for a topic the group is subscribed to.'],
  INVALID_RECORD: [false, 'The record failed broker-side validation.'],
  UNSTABLE_OFFSET_COMMIT: [true, 'There are unstable (pending transactional) offsets for the partition.'],
  THROTTLING_QUOTA_EXCEEDED: [true, 'The throttling quota has been exceeded.'],
  PRODUCER_FENCED: [false, 'A newer producer with the same transactional id has fenced this one.'],
  RESOURCE_NOT_FOUND: [false, 'The referenced resource does not exist.'],
  DUPLICATE_RESOURCE: [false, 'The same resource was referenced more than once.'],
  UNACCEPTABLE_CREDENTIAL: [false, 'The credential does not meet the acceptance criteria.'],
  INCONSISTENT_VOTER_SET: [false, 'The sender or recipient is not in the expected voter set.'],
  INVALID_UPDATE_VERSION: [false, 'The update version is invalid.'],
  FEATURE_UPDATE_FAILED: [false, 'The feature update could not be applied.'],
  PRINCIPAL_DESERIALIZATION_FAILURE: [false, 'The request principal could not be deserialized.'],
  SNAPSHOT_NOT_FOUND: [false, 'The snapshot was not found.'],
  POSITION_OUT_OF_RANGE: [false, 'The requested position is not in the snapshot.'],
  UNKNOWN_TOPIC_ID: [true, 'The topic id is not known to this broker.'],
  DUPLICATE_BROKER_REGISTRATION: [false, 'This broker id is already registered.'],
  BROKER_ID_NOT_REGISTERED: [false, 'This broker id is not registered.'],
  INCONSISTENT_TOPIC_ID: [true, 'The topic id does not match the one in the log.'],
  INCONSISTENT_CLUSTER_ID: [false, 'The cluster id does not match.'],
  TRANSACTIONAL_ID_NOT_FOUND: [false, 'The transactional id was not found.'],
  FETCH_SESSION_TOPIC_ID_ERROR: [true, 'The fetch session had a topic id error.'],
  INELIGIBLE_REPLICA: [false, 'The replica is not eligible to join the in-sync replica set.'],
  NEW_LEADER_ELECTED: [false, 'A new leader was elected; the request was not applied.'],
  OFFSET_MOVED_TO_TIERED_STORAGE: [false, 'The offset has moved to tiered storage.'],
  FENCED_MEMBER_EPOCH: [false, 'The member epoch is fenced; the member must rejoin.'],
  UNRELEASED_INSTANCE_ID: [false, 'The instance id is still held by another member.'],
  UNSUPPORTED_ASSIGNOR: [false, 'The assignor or its version range is not supported.'],
  STALE_MEMBER_EPOCH: [false, 'The member epoch is stale.'],
  MISMATCHED_ENDPOINT_TYPE: [false, 'The request was sent to an endpoint of the wrong type.'],
  UNSUPPORTED_ENDPOINT_TYPE: [false, 'This endpoint type is not supported.'],
  UNKNOWN_CONTROLLER_ID: [false, 'The controller id is not known.'],
  UNKNOWN_SUBSCRIPTION_ID: [false, 'The telemetry subscription id is invalid or outdated.'],
  TELEMETRY_TOO_LARGE: [false, 'The telemetry payload is larger than the broker accepts.'],
  INVALID_REGISTRATION: [false, 'The broker registration is invalid.'],
  TRANSACTION_ABORTABLE: [false, 'The transaction hit an error and should be aborted.'],
  INVALID_RECORD_STATE: [false, 'The record state is invalid for this acknowledgement.'],
  SHARE_SESSION_NOT_FOUND: [true, 'The share session was not found.'],
  INVALID_SHARE_SESSION_EPOCH: [true, 'The share session epoch is invalid.'],
  FENCED_STATE_EPOCH: [false, 'The share group state epoch does not match.'],
  INVALID_VOTER_KEY: [false, "The voter key does not match the replica's key."],
  DUPLICATE_VOTER: [false, 'The voter is already in the voter set.'],
  VOTER_NOT_FOUND: [false, 'The voter is not in the voter set.'],
  INVALID_REGULAR_EXPRESSION: [false, 'The regular expression is invalid.'],
  REBOOTSTRAP_REQUIRED: [false, "The client's metadata is stale; it must rebootstrap."],
  STREAMS_INVALID_TOPOLOGY: [false, 'The streams topology is invalid.'],
  STREAMS_INVALID_TOPOLOGY_EPOCH: [false, 'The streams topology epoch is invalid.'],
  STREAMS_TOPOLOGY_FENCED: [false, 'The streams topology epoch is outdated.'],
  SHARE_SESSION_LIMIT_REACHED: [true, 'The share session limit has been reached.']
}

const BY_CODE: ReadonlyMap<number, ErrorInfo> = new Map(
  (Object.keys(ErrorCode) as ErrorName[]).map((name) => {
    const [retriable, message] = DETAILS[name]
    const code = ErrorCode[name]
    return [code, Object.freeze({ name, code, retriable, message })] as const
  })
)

/** Details of a code; a code this table does not know is reported as a non-retriable 'UNKNOWN'. */
export function errorInfo(code: number): ErrorInfo {
  return (
    BY_CODE.get(code) ?? { name: 'UNKNOWN', code, retriable: false, message: `Unknown error code ${code}.` }
  )
}

/** Every known error, in code order. */
export function allErrors(): ErrorInfo[] {
  return [...BY_CODE.values()].sort((a, b) => a.code - b.code)
}

/**
 * What broker code throws to fail a request with a specific Kafka error; request handlers turn it into
 * the response's error code (and error message where the API has one).
 */
export class KafkaError extends Error {
  override readonly name: string = 'KafkaError'
  readonly code: number

  constructor(code: number, message?: string, options?: ErrorOptions) {
    super(message ?? errorInfo(code).message, options)
    this.code = code
  }

  get errorName(): string {
    return errorInfo(this.code).name
  }

  get retriable(): boolean {
    return errorInfo(this.code).retriable
  }
}

/** The error code to answer with for anything thrown while handling a request. */
export function errorCodeOf(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR
}
