/** Builders shared by the coordinator tests: requests in the generated shapes and a started coordinator. */

import type { GroupCoordinatorConfig } from '../../../src/coordinator/group/group-coordinator-config.js'
import { GroupCoordinatorService } from '../../../src/coordinator/group/group-coordinator-service.js'
import type { GroupRequestContext } from '../../../src/coordinator/group/group-request-context.js'
import { type GroupStore, InMemoryGroupStore } from '../../../src/coordinator/group/group-store.js'
import type { JoinGroupRequest, JoinGroupResponse } from '../../../src/protocol/messages/join-group.js'
import { ManualTime } from './manual-time.js'

export const PARTITIONS = 4
export const SESSION_MS = 10_000
export const REBALANCE_MS = 30_000

export function ctx(apiVersion = 5, clientId = 'client'): GroupRequestContext {
  return { apiVersion, clientId, clientHost: '/127.0.0.1' }
}

export interface Kit {
  coordinator: GroupCoordinatorService
  time: ManualTime
  store: GroupStore
}

export async function startedCoordinator(
  config: Partial<GroupCoordinatorConfig> = {},
  store: GroupStore = new InMemoryGroupStore(),
  time = new ManualTime()
): Promise<Kit> {
  const coordinator = new GroupCoordinatorService(store, {
    time,
    config: { offsetsTopicPartitions: PARTITIONS, initialRebalanceDelayMs: 0, ...config }
  })
  coordinator.startup()
  for (let p = 0; p < PARTITIONS; p++) await coordinator.onElection(p)
  return { coordinator, time, store }
}

export function joinRequest(
  groupId: string,
  memberId = '',
  opts: {
    instanceId?: string | null
    protocolType?: string
    protocols?: { name: string; metadata: Buffer }[]
    sessionTimeoutMs?: number
    rebalanceTimeoutMs?: number
  } = {}
): JoinGroupRequest {
  return {
    groupId,
    memberId,
    sessionTimeoutMs: opts.sessionTimeoutMs ?? SESSION_MS,
    rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? REBALANCE_MS,
    groupInstanceId: opts.instanceId ?? null,
    protocolType: opts.protocolType ?? 'consumer',
    protocols: opts.protocols ?? [{ name: 'range', metadata: Buffer.from('m') }]
  }
}

/** KIP-394 handshake then the real join: the promise of the second JoinGroup, which may stay parked. */
export async function joinWithHandshake(
  kit: Kit,
  groupId: string,
  opts: Parameters<typeof joinRequest>[2] = {}
): Promise<{ memberId: string; reply: Promise<JoinGroupResponse> }> {
  const first = await kit.coordinator.classic.joinGroup(joinRequest(groupId, '', opts), ctx())
  if (first.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`)
  return {
    memberId: first.memberId,
    reply: kit.coordinator.classic.joinGroup(joinRequest(groupId, first.memberId, opts), ctx())
  }
}

/** Resolves whether the promise has settled, without waiting for it. */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending')
  const r = await Promise.race([p, new Promise((resolve) => setImmediate(() => resolve(marker)))])
  return r !== marker
}
