import { ErrorCode } from '../../protocol/error-codes.js'
import type { MetadataImage, MetadataStore, PartitionRegistration, TopicId } from '../metadata-store.js'
import type { LiveBrokers } from './broker-liveness.js'
import { findTopic } from './image-lookup.js'
import { electLeader, NO_LEADER } from './leader-election.js'

/** ElectLeaders' election types (Kafka's ElectionType). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const

/** One partition's outcome of an ElectLeaders request. */
export interface ElectionOutcome {
  readonly topic: string
  readonly partitionIndex: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface ElectionControlConfig {
  /** unclean.leader.election.enable default for topics without an override (default false). */
  readonly uncleanLeaderElectionEnable?: boolean
}

/**
 * Leader elections, the part of Kafka's ReplicationControlManager that moves leadership: re-election after
 * a broker is fenced, unfenced or shut down (fenced brokers leave the ISR; unclean election only where the
 * topic allows it), ElectLeaders (preferred and unclean) and automatic leader rebalancing. The rules for
 * one partition are `electLeader` (Kafka's PartitionChangeBuilder).
 *
 * Runs inside the controller's operation queue, so each operation validates against the image it then
 * writes to; the store's partition-epoch condition still guards every write.
 */
export class ElectionControlManager {
  constructor(
    private readonly store: Pick<MetadataStore, 'image' | 'alterPartition'>,
    private readonly liveness: LiveBrokers,
    private readonly config: ElectionControlConfig
  ) {}

  /** Re-runs leader election (and ISR cleanup of brokers that are not live) for the partitions `select` picks. */
  async reelect(image: MetadataImage, select: (p: PartitionRegistration) => boolean): Promise<void> {
    const isLive = (id: number): boolean => this.liveness.isLive(image, id)
    for (const topic of image.topics.values()) {
      const unclean = this.uncleanElectionEnabled(image, topic.topicId)
      for (const p of topic.partitions) {
        if (!select(p)) continue
        // Fenced brokers leave the ISR, but the ISR never becomes empty: its last member keeps the claim
        // of having all committed data, so a clean election can still pick it when it comes back.
        const liveIsr = p.isr.filter(isLive)
        const isr = liveIsr.length > 0 ? liveIsr : p.isr
        const result = electLeader(
          { replicas: p.replicas, isr, leader: p.leader },
          { isAcceptableLeader: isLive, unclean }
        )
        const sameIsr = result.isr.length === p.isr.length && result.isr.every((r, i) => r === p.isr[i])
        if (result.leader === p.leader && sameIsr) continue
        await this.store.alterPartition(topic.topicId, p.partitionIndex, p.partitionEpoch, {
          leader: result.leader,
          isr: result.isr
        })
      }
    }
  }

  /**
   * ElectLeaders (Kafka's ReplicationControlManager.electLeaders): PREFERRED moves leadership to replicas[0]
   * when it is a live ISR member; UNCLEAN gives a leaderless partition any live replica. `partitions` null
   * means every partition, and then partitions that need no election are left out of the result.
   */
  async electLeaders(
    electionType: number,
    partitions: readonly { topic: string; partitions: readonly number[] }[] | null
  ): Promise<ElectionOutcome[]> {
    const image = await this.store.image()
    const all = partitions === null
    const targets: { topic: string; partitionIndex: number }[] = []
    if (all) {
      for (const t of image.topics.values())
        for (const p of t.partitions) targets.push({ topic: t.name, partitionIndex: p.partitionIndex })
    } else {
      for (const t of partitions)
        for (const i of t.partitions) targets.push({ topic: t.topic, partitionIndex: i })
    }
    const outcomes: ElectionOutcome[] = []
    for (const target of targets) {
      const outcome = await this.electLeaderFor(image, electionType, target.topic, target.partitionIndex)
      if (all && outcome.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue
      outcomes.push(outcome)
    }
    return outcomes
  }

  /**
   * Automatic leader rebalancing (auto.leader.rebalance.enable): for each broker whose share of partitions
   * led by someone other than their preferred leader exceeds `imbalancePercentage`, elects the preferred
   * leaders of those partitions where it can. Returns how many partitions changed leader.
   */
  async rebalanceLeaders(imbalancePercentage: number): Promise<number> {
    const image = await this.store.image()
    const preferredCount = new Map<number, number>()
    const notLed = new Map<number, { topic: string; partitionIndex: number }[]>()
    for (const t of image.topics.values()) {
      for (const p of t.partitions) {
        const preferred = p.replicas[0]
        if (preferred === undefined) continue
        preferredCount.set(preferred, (preferredCount.get(preferred) ?? 0) + 1)
        if (p.leader !== preferred) {
          const list = notLed.get(preferred) ?? []
          list.push({ topic: t.name, partitionIndex: p.partitionIndex })
          notLed.set(preferred, list)
        }
      }
    }
    let moved = 0
    for (const [broker, list] of notLed) {
      const ratio = (list.length * 100) / (preferredCount.get(broker) ?? 1)
      if (ratio <= imbalancePercentage) continue
      for (const target of list) {
        // Each election bumps epochs, so every one validates against the image as it is now.
        const current = await this.store.image()
        const outcome = await this.electLeaderFor(
          current,
          ElectionType.PREFERRED,
          target.topic,
          target.partitionIndex
        )
        if (outcome.errorCode === ErrorCode.NONE) moved++
      }
    }
    return moved
  }

  private async electLeaderFor(
    image: MetadataImage,
    electionType: number,
    topicName: string,
    partitionIndex: number
  ): Promise<ElectionOutcome> {
    const result = (errorCode: number, errorMessage: string | null): ElectionOutcome => ({
      topic: topicName,
      partitionIndex,
      errorCode,
      errorMessage
    })
    const topic = findTopic(image, topicName)
    const p = topic?.partitions[partitionIndex]
    if (!topic || !p) {
      return result(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `No such topic partition ${topicName}-${partitionIndex}`
      )
    }
    if (electionType !== ElectionType.PREFERRED && electionType !== ElectionType.UNCLEAN) {
      return result(ErrorCode.INVALID_REQUEST, `Unknown election type ${electionType}`)
    }
    const preferred = electionType === ElectionType.PREFERRED
    if (preferred && p.leader === p.replicas[0]) {
      return result(ErrorCode.ELECTION_NOT_NEEDED, 'The preferred replica is already the leader.')
    }
    if (!preferred && p.leader !== NO_LEADER) {
      return result(ErrorCode.ELECTION_NOT_NEEDED, 'The partition already has a leader.')
    }
    const elected = electLeader(
      { replicas: p.replicas, isr: p.isr, leader: p.leader },
      { isAcceptableLeader: (id) => this.liveness.isLive(image, id), preferred, unclean: !preferred }
    )
    if (preferred && elected.leader !== p.replicas[0]) {
      return result(
        ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
        `The preferred replica ${p.replicas[0]} is not a live member of the ISR.`
      )
    }
    if (!preferred && elected.leader === NO_LEADER) {
      return result(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'No live replica can lead the partition.')
    }
    await this.store.alterPartition(topic.topicId, partitionIndex, p.partitionEpoch, {
      leader: elected.leader,
      isr: elected.isr
    })
    return result(ErrorCode.NONE, null)
  }

  /** The topic's unclean.leader.election.enable override, else the broker default. */
  private uncleanElectionEnabled(image: MetadataImage, topicId: TopicId): boolean {
    const override = image.topicConfigs.get(topicId)?.['unclean.leader.election.enable']
    if (override !== undefined) return override.toLowerCase() === 'true'
    return this.config.uncleanLeaderElectionEnable ?? false
  }
}
