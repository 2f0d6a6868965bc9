/**
 * Whether a broker of the local cluster is ready: it answers ApiVersions and its Metadata lists its own node
 * id (so it is registered in the cluster metadata). An accepting port alone proves nothing on loopback: a
 * connect to a port in Linux's ephemeral range (32768-60999) on which nothing listens can be a TCP
 * simultaneous open of the socket with itself, which "connects" and holds the port.
 */

import { type BrokerChannelSecurity, PLAINTEXT_CHANNEL } from '../../network/broker-channel-security.js'
import { BrokerConnection } from '../../network/broker-connection.js'
import { ApiVersionsApi, type ApiVersionsResponse } from '../../protocol/messages/api-versions.js'
import { MetadataApi, type MetadataResponse } from '../../protocol/messages/metadata.js'

const PROBE_TIMEOUT_MS = 2000

/**
 * Resolves true when the broker on 127.0.0.1:`port` answers as node `nodeId`; false on any failure. A secure
 * cluster's inter-broker listener speaks mutual TLS, so the probe then connects as a broker does.
 */
export async function brokerAnswers(
  port: number,
  nodeId: number,
  security: BrokerChannelSecurity = PLAINTEXT_CHANNEL
): Promise<boolean> {
  const connection = new BrokerConnection(
    () => ({ host: '127.0.0.1', port }),
    'samsa-cluster-readiness',
    security
  )
  try {
    const versions = await connection.request<ApiVersionsResponse>(
      ApiVersionsApi.apiKey,
      0,
      {},
      PROBE_TIMEOUT_MS
    )
    if (versions.errorCode !== 0) return false
    const metadata = await connection.request<MetadataResponse>(
      MetadataApi.apiKey,
      1,
      { topics: [] },
      PROBE_TIMEOUT_MS
    )
    return metadata.brokers.some((b) => b.nodeId === nodeId)
  } catch {
    return false
  } finally {
    connection.close()
  }
}
