/**
 * Kafka's `__consumer_offsets` record formats (group-coordinator/.../common/message/OffsetCommitKey.json,
 * OffsetCommitValue.json, GroupMetadataKey.json, GroupMetadataValue.json), hand-written on Reader/Writer.
 * A key starts with an int16 that says which record it is (0 and 1: offset commit, 2: group metadata); a
 * value starts with its own schema version. A null value is a tombstone. Encoders write the versions Kafka
 * writes today for non-flexible logs (offset value v3, or v1 when an explicit expiry is set; group value v3);
 * decoders read every version 0-4, so logs written by Kafka load too.
 */

import { ProtocolDecodeError } from '../../protocol/decode-error.js'
import { Reader } from '../../protocol/reader.js'
import { Writer } from '../../protocol/writer.js'

export interface OffsetCommitKey {
  readonly type: 'offset'
  group: string
  topic: string
  partition: number
}

export interface GroupMetadataKey {
  readonly type: 'group'
  group: string
}

export type CoordinatorKey = OffsetCommitKey | GroupMetadataKey

export interface OffsetCommitValue {
  offset: bigint
  leaderEpoch: number
  metadata: string
  commitTimestamp: bigint
  /** Only set by OffsetCommit v2-v4 with an explicit retention time; -1n otherwise. */
  expireTimestamp: bigint
}

export interface GroupMemberRecord {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeout: number
  sessionTimeout: number
  subscription: Buffer
  assignment: Buffer
}

export interface GroupMetadataValue {
  protocolType: string
  generation: number
  protocol: string | null
  leader: string | null
  currentStateTimestamp: bigint
  members: GroupMemberRecord[]
}

const OFFSET_KEY_VERSION = 1
const GROUP_KEY_VERSION = 2

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Writer(64)
    .writeInt16(OFFSET_KEY_VERSION)
    .writeString(group)
    .writeString(topic)
    .writeInt32(partition)
    .toBuffer()
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer(32).writeInt16(GROUP_KEY_VERSION).writeString(group).toBuffer()
}

/** Returns null for record types this coordinator does not own (KIP-848 consumer groups, share groups, ...). */
export function decodeCoordinatorKey(buf: Buffer): CoordinatorKey | null {
  const r = new Reader(buf)
  const version = r.readInt16()
  if (version === 0 || version === 1) {
    return { type: 'offset', group: r.readString(), topic: r.readString(), partition: r.readInt32() }
  }
  if (version === GROUP_KEY_VERSION) return { type: 'group', group: r.readString() }
  return null
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const w = new Writer(64)
  if (v.expireTimestamp >= 0n) {
    w.writeInt16(1).writeInt64(v.offset).writeString(v.metadata).writeInt64(v.commitTimestamp)
    w.writeInt64(v.expireTimestamp)
  } else {
    w.writeInt16(3).writeInt64(v.offset).writeInt32(v.leaderEpoch).writeString(v.metadata)
    w.writeInt64(v.commitTimestamp)
  }
  return w.toBuffer()
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf)
  const version = checkVersion(r.readInt16(), 'OffsetCommitValue')
  const flexible = version >= 4
  const offset = r.readInt64()
  const leaderEpoch = version >= 3 ? r.readInt32() : -1
  const metadata = flexible ? r.readCompactString() : r.readString()
  const commitTimestamp = r.readInt64()
  const expireTimestamp = version === 1 ? r.readInt64() : -1n
  if (flexible) r.readTaggedFields(() => false)
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp }
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256)
  w.writeInt16(3)
    .writeString(v.protocolType)
    .writeInt32(v.generation)
    .writeNullableString(v.protocol)
    .writeNullableString(v.leader)
    .writeInt64(v.currentStateTimestamp)
  w.writeArray(false, v.members, (mw, m) => {
    mw.writeString(m.memberId)
      .writeNullableString(m.groupInstanceId)
      .writeString(m.clientId)
      .writeString(m.clientHost)
      .writeInt32(m.rebalanceTimeout)
      .writeInt32(m.sessionTimeout)
      .writeBytes(m.subscription)
      .writeBytes(m.assignment)
  })
  return w.toBuffer()
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf)
  const version = checkVersion(r.readInt16(), 'GroupMetadataValue')
  const flex = version >= 4
  const str = (): string => (flex ? r.readCompactString() : r.readString())
  const nullableStr = (): string | null => (flex ? r.readCompactNullableString() : r.readNullableString())
  const protocolType = str()
  const generation = r.readInt32()
  const protocol = nullableStr()
  const leader = nullableStr()
  const currentStateTimestamp = version >= 2 ? r.readInt64() : -1n
  const members = r.readArray(flex, (mr) => {
    const s = (): string => (flex ? mr.readCompactString() : mr.readString())
    const bytes = (): Buffer => (flex ? mr.readCompactBytes() : mr.readBytes())
    const memberId = s()
    const groupInstanceId =
      version >= 3 ? (flex ? mr.readCompactNullableString() : mr.readNullableString()) : null
    const clientId = s()
    const clientHost = s()
    const rebalanceTimeout = version >= 1 ? mr.readInt32() : -1
    const sessionTimeout = mr.readInt32()
    const subscription = bytes()
    const assignment = bytes()
    if (flex) mr.readTaggedFields(() => false)
    return {
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeout,
      sessionTimeout,
      subscription,
      assignment
    }
  })
  if (flex) r.readTaggedFields(() => false)
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members }
}

function checkVersion(version: number, what: string): number {
  if (version < 0 || version > 4) throw new ProtocolDecodeError(`unknown ${what} version ${version}`)
  return version
}
