import type { AlterIsrRequest, Controller } from '../cluster/controller/controller.js'
import type { ControllerChannel } from '../cluster/controller-channel.js'
import { ErrorCode, KafkaError } from '../protocol/error-codes.js'
import {
  AlterPartitionApi,
  type AlterPartitionRequest,
  type AlterPartitionResponse
} from '../protocol/messages/alter-partition.js'
import type { Partition } from './partition.js'

/** v2: topic ids and a plain ISR list (v3 adds broker epochs per member). */
export const ALTER_PARTITION_VERSION = 2

/**
 * Sends a partition leader's ISR changes to the active controller (Kafka's AlterPartitionManager): applied
 * directly when this broker is the controller, otherwise sent as an AlterPartition request through the
 * controller channel. The committed change reaches every broker as a metadata delta; a rejection is thrown
 * as the controller's KafkaError.
 */
export class AlterPartitionManager {
  constructor(
    private readonly localBrokerId: number,
    private readonly controller: () => Controller,
    private readonly channel: () => ControllerChannel
  ) {}

  async submit(partition: Partition, newIsr: readonly number[]): Promise<void> {
    const state = partition.registration
    const request: AlterIsrRequest = {
      brokerId: this.localBrokerId,
      topicId: partition.topicId,
      partitionIndex: partition.partitionIndex,
      leaderEpoch: state.leaderEpoch,
      partitionEpoch: state.partitionEpoch,
      newIsr
    }
    const channel = this.channel()
    if (channel.isActiveController()) {
      await this.controller().alterPartitionIsr(request)
      return
    }
    const body: AlterPartitionRequest = {
      brokerId: this.localBrokerId,
      brokerEpoch: -1n,
      topics: [
        {
          topicId: request.topicId,
          partitions: [
            {
              partitionIndex: request.partitionIndex,
              leaderEpoch: request.leaderEpoch,
              newIsr: [...newIsr],
              leaderRecoveryState: 0,
              partitionEpoch: request.partitionEpoch
            }
          ]
        }
      ]
    }
    const response = await channel.forward<AlterPartitionResponse>(
      { requestApiKey: AlterPartitionApi.apiKey, requestApiVersion: ALTER_PARTITION_VERSION },
      body
    )
    if (response === null) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'no controller reachable')
    const code = response.errorCode || response.topics[0]?.partitions[0]?.errorCode || ErrorCode.NONE
    if (code !== ErrorCode.NONE) throw new KafkaError(code, 'AlterPartition rejected')
  }
}
