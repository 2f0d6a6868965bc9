/**
 * Kafka's `__consumer_offsets` records of KIP-848 consumer groups (group-coordinator/.../common/message/
 * ConsumerGroup*Key/Value.json). A key starts with its record type as an int16 — 3 group metadata (epoch),
 * 4 partition metadata (subscribed topics), 5 member metadata, 6 target assignment metadata (assignment
 * epoch), 7 target assignment of one member, 8 current assignment of one member — then non-flexible strings;
 * a value starts with its version (0) and is flexible. Tagged fields written by newer Kafkas are skipped.
 * A null value is a tombstone.
 */

import { ProtocolDecodeError } from '../../../protocol/decode-error.js'
import { Reader } from '../../../protocol/reader.js'
import { Writer } from '../../../protocol/writer.js'
import { type Assignment, fromTopicPartitions, toTopicPartitions } from './assignment.js'
import type { TopicMetadata } from './consumer-group.js'
import {
  type ConsumerGroupMember,
  MEMBER_STATE_CODES,
  type MemberState,
  memberStateOf
} from './consumer-group-member.js'

export const CONSUMER_GROUP_RECORD_TYPES = {
  metadata: 3,
  partitionMetadata: 4,
  memberMetadata: 5,
  targetAssignmentMetadata: 6,
  targetAssignmentMember: 7,
  currentMemberAssignment: 8
} as const

export type ConsumerGroupRecordType = keyof typeof CONSUMER_GROUP_RECORD_TYPES

export interface ConsumerGroupRecordKey {
  type: ConsumerGroupRecordType
  groupId: string
  /** Set for the per-member record types (5, 7, 8). */
  memberId: string | null
}

const PER_MEMBER = new Set<ConsumerGroupRecordType>([
  'memberMetadata',
  'targetAssignmentMember',
  'currentMemberAssignment'
])

export function encodeConsumerGroupKey(
  type: ConsumerGroupRecordType,
  groupId: string,
  memberId?: string
): Buffer {
  const w = new Writer(64).writeInt16(CONSUMER_GROUP_RECORD_TYPES[type]).writeString(groupId)
  if (PER_MEMBER.has(type)) w.writeString(memberId ?? '')
  return w.toBuffer()
}

/** Null for keys that are not consumer group records. */
export function decodeConsumerGroupKey(buf: Buffer): ConsumerGroupRecordKey | null {
  const r = new Reader(buf)
  const code = r.readInt16()
  const type = (Object.keys(CONSUMER_GROUP_RECORD_TYPES) as ConsumerGroupRecordType[]).find(
    (t) => CONSUMER_GROUP_RECORD_TYPES[t] === code
  )
  if (type === undefined) return null
  const groupId = r.readString()
  return { type, groupId, memberId: PER_MEMBER.has(type) ? r.readString() : null }
}

function valueWriter(): Writer {
  return new Writer(128).writeInt16(0)
}

function valueReader(buf: Buffer, what: string): Reader {
  const r = new Reader(buf)
  const version = r.readInt16()
  if (version !== 0) throw new ProtocolDecodeError(`unknown ${what} version ${version}`)
  return r
}

const skipTags = () => false

function writeTopicPartitions(w: Writer, a: Assignment): void {
  w.writeArray(true, toTopicPartitions(a), (tw, tp) => {
    tw.writeUuid(tp.topicId)
    tw.writeArray(true, tp.partitions, (pw, p) => {
      pw.writeInt32(p)
    })
    tw.writeTaggedFields([], undefined)
  })
}

function readTopicPartitions(r: Reader): Assignment {
  return fromTopicPartitions(
    r.readArray(true, (tr) => {
      const topicId = tr.readUuid()
      const partitions = tr.readArray(true, (pr) => pr.readInt32())
      tr.readTaggedFields(skipTags)
      return { topicId, partitions }
    })
  )
}

// ---- 3: ConsumerGroupMetadataValue { Epoch }

export function encodeGroupEpochValue(epoch: number): Buffer {
  return valueWriter().writeInt32(epoch).writeTaggedFields([], undefined).toBuffer()
}

export function decodeGroupEpochValue(buf: Buffer): number {
  const r = valueReader(buf, 'ConsumerGroupMetadataValue')
  const epoch = r.readInt32()
  r.readTaggedFields(skipTags)
  return epoch
}

// ---- 4: ConsumerGroupPartitionMetadataValue { Topics: [{ TopicId, TopicName, NumPartitions }] }

export function encodePartitionMetadataValue(topics: Iterable<TopicMetadata>): Buffer {
  const w = valueWriter()
  w.writeArray(true, [...topics], (tw, t) => {
    tw.writeUuid(t.topicId).writeCompactString(t.name).writeInt32(t.numPartitions)
    tw.writeTaggedFields([], undefined)
  })
  return w.writeTaggedFields([], undefined).toBuffer()
}

export function decodePartitionMetadataValue(buf: Buffer): TopicMetadata[] {
  const r = valueReader(buf, 'ConsumerGroupPartitionMetadataValue')
  const topics = r.readArray(true, (tr) => {
    const topicId = tr.readUuid()
    const name = tr.readCompactString()
    const numPartitions = tr.readInt32()
    tr.readTaggedFields(skipTags)
    return { topicId, name, numPartitions }
  })
  r.readTaggedFields(skipTags)
  return topics
}

// ---- 5: ConsumerGroupMemberMetadataValue

export type MemberMetadata = Pick<
  ConsumerGroupMember,
  | 'instanceId'
  | 'rackId'
  | 'clientId'
  | 'clientHost'
  | 'subscribedTopicNames'
  | 'subscribedTopicRegex'
  | 'rebalanceTimeoutMs'
  | 'serverAssignor'
>

export function encodeMemberMetadataValue(m: MemberMetadata): Buffer {
  const w = valueWriter()
    .writeCompactNullableString(m.instanceId)
    .writeCompactNullableString(m.rackId)
    .writeCompactString(m.clientId)
    .writeCompactString(m.clientHost)
  w.writeArray(true, m.subscribedTopicNames, (tw, t) => {
    tw.writeCompactString(t)
  })
  return w
    .writeCompactNullableString(m.subscribedTopicRegex)
    .writeInt32(m.rebalanceTimeoutMs)
    .writeCompactNullableString(m.serverAssignor)
    .writeTaggedFields([], undefined)
    .toBuffer()
}

export function decodeMemberMetadataValue(buf: Buffer): MemberMetadata {
  const r = valueReader(buf, 'ConsumerGroupMemberMetadataValue')
  const instanceId = r.readCompactNullableString()
  const rackId = r.readCompactNullableString()
  const clientId = r.readCompactString()
  const clientHost = r.readCompactString()
  const subscribedTopicNames = r.readArray(true, (tr) => tr.readCompactString())
  const subscribedTopicRegex = r.readCompactNullableString()
  const rebalanceTimeoutMs = r.readInt32()
  const serverAssignor = r.readCompactNullableString()
  r.readTaggedFields(skipTags)
  return {
    instanceId,
    rackId,
    clientId,
    clientHost,
    subscribedTopicNames,
    subscribedTopicRegex,
    rebalanceTimeoutMs,
    serverAssignor
  }
}

// ---- 6: ConsumerGroupTargetAssignmentMetadataValue { AssignmentEpoch }

export const encodeAssignmentEpochValue = encodeGroupEpochValue
export const decodeAssignmentEpochValue = decodeGroupEpochValue

// ---- 7: ConsumerGroupTargetAssignmentMemberValue { TopicPartitions }

export function encodeTargetAssignmentValue(a: Assignment): Buffer {
  const w = valueWriter()
  writeTopicPartitions(w, a)
  return w.writeTaggedFields([], undefined).toBuffer()
}

export function decodeTargetAssignmentValue(buf: Buffer): Assignment {
  const r = valueReader(buf, 'ConsumerGroupTargetAssignmentMemberValue')
  const a = readTopicPartitions(r)
  r.readTaggedFields(skipTags)
  return a
}

// ---- 8: ConsumerGroupCurrentMemberAssignmentValue

export interface CurrentMemberAssignment {
  memberEpoch: number
  previousMemberEpoch: number
  state: MemberState
  assignedPartitions: Assignment
  partitionsPendingRevocation: Assignment
}

export function encodeCurrentAssignmentValue(v: CurrentMemberAssignment): Buffer {
  const w = valueWriter()
    .writeInt32(v.memberEpoch)
    .writeInt32(v.previousMemberEpoch)
    .writeInt8(MEMBER_STATE_CODES[v.state])
  writeTopicPartitions(w, v.assignedPartitions)
  writeTopicPartitions(w, v.partitionsPendingRevocation)
  return w.writeTaggedFields([], undefined).toBuffer()
}

export function decodeCurrentAssignmentValue(buf: Buffer): CurrentMemberAssignment {
  const r = valueReader(buf, 'ConsumerGroupCurrentMemberAssignmentValue')
  const memberEpoch = r.readInt32()
  const previousMemberEpoch = r.readInt32()
  const state = memberStateOf(r.readInt8())
  const assignedPartitions = readTopicPartitions(r)
  const partitionsPendingRevocation = readTopicPartitions(r)
  r.readTaggedFields(skipTags)
  return { memberEpoch, previousMemberEpoch, state, assignedPartitions, partitionsPendingRevocation }
}
