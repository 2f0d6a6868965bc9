import { type BrokerChannelSecurity, PLAINTEXT_CHANNEL } from './broker-channel-security.js'
import { BrokerConnection } from './broker-connection.js'

/** Where a live broker can be reached now, undefined when it is unknown or fenced. */
export type BrokerEndpointLookup = (nodeId: number) => { host: string; port: number } | undefined

/**
 * The transaction coordinator's connections to other brokers, one per destination broker (Kafka's
 * InterBrokerSendThread keeps one per node), shared by the marker channel and the KIP-890 verification.
 * Each is the replica fetcher's pipelined broker-to-broker client: a broker that restarted on a new port is
 * reached again because the endpoint is looked up on every reconnect.
 *
 * Event loop: no I/O happens here; connections open lazily on their first request.
 */
export class InterBrokerConnections {
  private readonly connections = new Map<number, BrokerConnection>()
  private closed = false

  constructor(
    private readonly localBrokerId: number,
    private readonly endpointOf: BrokerEndpointLookup,
    private readonly clientIdPrefix: string,
    /** Read when a connection opens: the broker knows it once its metadata is open. */
    private readonly security: () => BrokerChannelSecurity = () => PLAINTEXT_CHANNEL
  ) {}

  /** Sends one request to `nodeId` and resolves with its decoded response body. */
  request<Res>(nodeId: number, apiKey: number, apiVersion: number, body: unknown, timeoutMs: number) {
    if (this.closed) return Promise.reject(new Error('inter-broker connections closed'))
    let connection = this.connections.get(nodeId)
    if (connection === undefined) {
      connection = new BrokerConnection(
        () => this.endpointOf(nodeId),
        `${this.clientIdPrefix}-${this.localBrokerId}`,
        this.security()
      )
      this.connections.set(nodeId, connection)
    }
    return connection.request<Res>(apiKey, apiVersion, body, timeoutMs)
  }

  close(): void {
    this.closed = true
    for (const c of this.connections.values()) c.close()
    this.connections.clear()
  }
}
