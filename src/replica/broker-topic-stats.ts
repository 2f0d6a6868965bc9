/**
 * Kafka's BrokerTopicStats as plain numbers: the data plane increments fields on append and fetch, and the
 * admin listener's collectors read them when /metrics is scraped. Nothing here allocates per request once a
 * topic has its entry, so the hot path pays one map lookup and a few additions.
 *
 * Ownership: one per ReplicaManager, on its event loop.
 */

export interface TopicStats {
  /** Bytes of record batches appended from produce requests (Kafka's BytesInPerSec). */
  bytesIn: number
  /** Bytes of records returned to consumers (Kafka's BytesOutPerSec, replication excluded). */
  bytesOut: number
  /** Records appended from produce requests (MessagesInPerSec). */
  messagesIn: number
  /** Produce requests to this topic that failed (FailedProduceRequestsPerSec). */
  failedProduceRequests: number
  /** Consumer fetches of this topic's partitions that failed (FailedFetchRequestsPerSec). */
  failedFetchRequests: number
  /** Bytes a follower on this broker fetched from leaders (ReplicationBytesInPerSec). */
  replicationBytesIn: number
}

export class BrokerTopicStats {
  private readonly topics = new Map<string, TopicStats>()
  /** ISR changes this broker asked for as leader and the controller applied (IsrShrinksPerSec, IsrExpandsPerSec). */
  isrShrinks = 0
  isrExpands = 0
  /** Failures of this broker's replica fetchers (Kafka's fetcher thread errors). */
  fetcherErrors = 0

  /** The entry of `topic`, created on first use. */
  of(topic: string): TopicStats {
    let s = this.topics.get(topic)
    if (s === undefined) {
      s = {
        bytesIn: 0,
        bytesOut: 0,
        messagesIn: 0,
        failedProduceRequests: 0,
        failedFetchRequests: 0,
        replicationBytesIn: 0
      }
      this.topics.set(topic, s)
    }
    return s
  }

  /** A deleted topic's counters go with it, as Kafka removes its topic metrics. */
  remove(topic: string): void {
    this.topics.delete(topic)
  }

  entries(): IterableIterator<[string, TopicStats]> {
    return this.topics.entries()
  }
}
