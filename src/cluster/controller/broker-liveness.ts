import type { MetadataImage } from '../metadata-store.js'

/** What leader elections and ISR checks ask about a broker. */
export interface LiveBrokers {
  /** Registered, unfenced and not in controlled shutdown: it may lead and (re)join an ISR. */
  isLive(image: MetadataImage, nodeId: number): boolean
}

/**
 * Which brokers may lead and join an ISR. The registrations in the metadata image say which are fenced;
 * this adds the brokers in controlled shutdown: still registered, but they may neither lead nor rejoin an
 * ISR until they register again (Kafka's BrokerHeartbeatManager "controlled shutdown" state). That set is
 * held in memory: a new controller starts without it, and the broker's own retry asks it again.
 */
export class BrokerLiveness implements LiveBrokers {
  private readonly shuttingDown = new Set<number>()

  isLive(image: MetadataImage, nodeId: number): boolean {
    return image.brokers.get(nodeId)?.fenced === false && !this.shuttingDown.has(nodeId)
  }

  /** The broker asked for a controlled shutdown: from now on it is not live. */
  beginControlledShutdown(nodeId: number): void {
    this.shuttingDown.add(nodeId)
  }

  /** The broker registered (again): any controlled shutdown it was in is over. */
  unfenced(nodeId: number): void {
    this.shuttingDown.delete(nodeId)
  }
}
