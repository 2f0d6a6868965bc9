/**
 * Test kit: one classic-protocol group member speaking raw JoinGroup / SyncGroup / Heartbeat / LeaveGroup
 * frames on its own connection (a parked JoinGroup holds back later responses on the same connection, as
 * Kafka's in-order responses require), so tests can send exactly the fields they want to probe.
 */

import type { FindCoordinatorResponse } from '../../src/protocol/messages/find-coordinator.js'
import type { HeartbeatResponse } from '../../src/protocol/messages/heartbeat.js'
import type { JoinGroupResponse } from '../../src/protocol/messages/join-group.js'
import type { LeaveGroupResponse } from '../../src/protocol/messages/leave-group.js'
import type { SyncGroupResponse } from '../../src/protocol/messages/sync-group.js'
import { RawKafkaClient } from './raw-kafka-client.js'

const FIND_COORDINATOR = 10
const JOIN_GROUP = 11
const HEARTBEAT = 12
const LEAVE_GROUP = 13
const SYNC_GROUP = 14

/** The versions librdkafka 2.0 and kafkajs send (non-flexible; static membership from these on). */
export const JOIN_GROUP_VERSION = 5
export const SYNC_GROUP_VERSION = 3
export const HEARTBEAT_VERSION = 3
const LEAVE_GROUP_VERSION = 3

export interface JoinOptions {
  memberId?: string
  groupInstanceId?: string | null
  protocolType?: string
  /** Protocol names with their (opaque to the broker) metadata. */
  protocols?: readonly string[]
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
}

let correlation = 1

async function call<T>(
  client: RawKafkaClient,
  apiKey: number,
  apiVersion: number,
  body: unknown,
  timeoutMs: number
) {
  const correlationId = correlation++
  client.send(
    { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'raw-member' },
    body
  )
  const res = await client.nextResponse<T>(apiKey, apiVersion, timeoutMs)
  if (res.correlationId !== correlationId)
    throw new Error(`correlation id ${res.correlationId} != ${correlationId}`)
  return res.body
}

/** Waits until the broker coordinates `groupId` (the first lookup creates `__consumer_offsets`). */
export async function awaitCoordinator(port: number, groupId: string, timeoutMs = 15_000): Promise<void> {
  const client = await RawKafkaClient.connect(port)
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      const res = await call<FindCoordinatorResponse>(
        client,
        FIND_COORDINATOR,
        1,
        { key: groupId, keyType: 0 },
        5000
      )
      if (res.errorCode === 0) return
      if (Date.now() > deadline)
        throw new Error(`FindCoordinator(${groupId}) kept answering ${res.errorCode}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    client.close()
  }
}

export class RawGroupMember {
  memberId = ''
  generationId = -1

  private constructor(
    private readonly client: RawKafkaClient,
    readonly groupId: string
  ) {}

  static async connect(port: number, groupId: string): Promise<RawGroupMember> {
    return new RawGroupMember(await RawKafkaClient.connect(port), groupId)
  }

  /** One JoinGroup round trip; remembers the member id and generation it is given. */
  async join(options: JoinOptions = {}, timeoutMs = 15_000): Promise<JoinGroupResponse> {
    const res = await call<JoinGroupResponse>(
      this.client,
      JOIN_GROUP,
      JOIN_GROUP_VERSION,
      {
        groupId: this.groupId,
        sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
        rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 10_000,
        memberId: options.memberId ?? this.memberId,
        groupInstanceId: options.groupInstanceId ?? null,
        protocolType: options.protocolType ?? 'consumer',
        protocols: (options.protocols ?? ['range']).map((name) => ({
          name,
          metadata: Buffer.from(`meta-${name}`)
        }))
      },
      timeoutMs
    )
    if (res.memberId !== '') this.memberId = res.memberId
    if (res.errorCode === 0) this.generationId = res.generationId
    return res
  }

  /** JoinGroup as a new member: the KIP-394 MEMBER_ID_REQUIRED round, then the real join. */
  async joinNew(options: JoinOptions = {}, timeoutMs = 15_000): Promise<JoinGroupResponse> {
    const first = await this.join({ ...options, memberId: '' }, timeoutMs)
    if (first.errorCode !== 79) return first // MEMBER_ID_REQUIRED
    return this.join({ ...options, memberId: first.memberId }, timeoutMs)
  }

  async sync(
    options: {
      generationId?: number
      memberId?: string
      assignments?: { memberId: string; assignment: Buffer }[]
    } = {},
    timeoutMs = 15_000
  ): Promise<SyncGroupResponse> {
    return call<SyncGroupResponse>(
      this.client,
      SYNC_GROUP,
      SYNC_GROUP_VERSION,
      {
        groupId: this.groupId,
        generationId: options.generationId ?? this.generationId,
        memberId: options.memberId ?? this.memberId,
        groupInstanceId: null,
        assignments: options.assignments ?? []
      },
      timeoutMs
    )
  }

  async heartbeat(
    options: { generationId?: number; memberId?: string; groupInstanceId?: string | null } = {},
    timeoutMs = 5000
  ): Promise<HeartbeatResponse> {
    return call<HeartbeatResponse>(
      this.client,
      HEARTBEAT,
      HEARTBEAT_VERSION,
      {
        groupId: this.groupId,
        generationId: options.generationId ?? this.generationId,
        memberId: options.memberId ?? this.memberId,
        groupInstanceId: options.groupInstanceId ?? null
      },
      timeoutMs
    )
  }

  async leave(timeoutMs = 5000): Promise<LeaveGroupResponse> {
    return call<LeaveGroupResponse>(
      this.client,
      LEAVE_GROUP,
      LEAVE_GROUP_VERSION,
      { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: null }] },
      timeoutMs
    )
  }

  close(): void {
    this.client.close()
  }
}

/**
 * The group's current generation, probed with Heartbeats carrying an existing member's id (DescribeGroups
 * does not report it): the coordinator answers NONE only for the current generation and ILLEGAL_GENERATION
 * for the others, without changing any state beyond refreshing that member's session.
 */
export async function probeGeneration(
  port: number,
  groupId: string,
  memberId: string,
  groupInstanceId: string | null,
  maxGeneration = 50
): Promise<number> {
  const probe = await RawGroupMember.connect(port, groupId)
  try {
    for (let g = 0; g <= maxGeneration; g++) {
      const { errorCode } = await probe.heartbeat({ generationId: g, memberId, groupInstanceId })
      if (errorCode === 0) return g
      if (errorCode !== 22) throw new Error(`heartbeat probe of generation ${g} answered ${errorCode}`)
    }
    throw new Error(`no generation up to ${maxGeneration} accepted`)
  } finally {
    probe.close()
  }
}
