import type { ControllerElection } from '../etcd/controller-election.js'
import type { MetadataDelta, MetadataStore, Unsubscribe } from '../metadata-store.js'
import type { Controller } from './controller.js'

export interface ClusterControllerServiceOptions {
  readonly store: MetadataStore
  readonly election: ControllerElection
  readonly controller: Controller
  readonly onError: (err: unknown, what: string) => void
}

/**
 * Runs the controller's reactions on the broker that holds the controllership of a multi-broker cluster
 * (ZooKeeper-era Kafka's KafkaController, on etcd): on election it fences brokers that are registered but
 * no longer live, re-elects leaders and finishes reassignments its predecessor left complete; afterwards,
 * a broker whose session lease expires is fenced (its partitions elect another leader, or go offline with
 * leader -1 when no live replica can lead) and a broker that registers gives its leaderless partitions a
 * leader again. Brokers that are not the controller run
 * nothing here: their Controller writes would fail with NOT_CONTROLLER anyway.
 *
 * Event loop: reactions are queued through the Controller's own single-file queue; failures are reported,
 * and a NOT_CONTROLLER failure just means the controllership moved on meanwhile.
 */
export class ClusterControllerService {
  private readonly unsubscribes: Unsubscribe[] = []
  private closed = false

  constructor(private readonly options: ClusterControllerServiceOptions) {}

  start(): void {
    const { store, election } = this.options
    this.unsubscribes.push(
      election.onLeadershipChange((isController) => {
        if (isController) this.run('controller failover', () => this.onElected())
      }),
      store.subscribe((delta) => this.onDelta(delta))
    )
    // The election may have been won while the store opened, before anyone listened.
    if (election.isController) this.run('controller startup', () => this.onElected())
  }

  close(): void {
    this.closed = true
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe()
  }

  private async onElected(): Promise<void> {
    const image = await this.options.store.image()
    for (const broker of image.brokers.values()) {
      if (!this.options.election.isController) return
      if (broker.fenced) await this.options.controller.fenceBroker(broker.nodeId)
      else await this.options.controller.brokerUnfenced(broker.nodeId)
    }
    // Reassignments live in the partition registrations: the last controller may have left one whose
    // target replicas all joined the ISR without finishing it.
    if (this.options.election.isController) await this.options.controller.resumeReassignments()
  }

  private onDelta(delta: MetadataDelta): void {
    if (!this.options.election.isController) return
    const { controller } = this.options
    if (delta.type === 'broker-fenced') {
      const nodeId = delta.broker.nodeId
      this.run(`fencing broker ${nodeId}`, () => controller.fenceBroker(nodeId))
    } else if (delta.type === 'broker-registered' && !delta.broker.fenced) {
      const nodeId = delta.broker.nodeId
      this.run(`unfencing broker ${nodeId}`, () => controller.brokerUnfenced(nodeId))
    }
  }

  private run(what: string, reaction: () => Promise<void>): void {
    reaction().catch((err: unknown) => {
      if (!this.closed && this.options.election.isController) this.options.onError(err, what)
    })
  }
}
