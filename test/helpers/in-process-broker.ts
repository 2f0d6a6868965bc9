/** Test kit: a KafkaServer in this process on an ephemeral port, for tests that plug in their own handlers. */

import { createLogger } from '../../src/common/logger.js'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import { KafkaServer, type KafkaServerOptions } from '../../src/server/kafka-server.js'

export async function startInProcessBroker(
  options: Partial<Omit<KafkaServerOptions, 'config'>> & { props?: Record<string, string> } = {}
): Promise<{ server: KafkaServer; port: number }> {
  const config = new KafkaConfig(
    new Map(Object.entries({ listeners: 'PLAINTEXT://127.0.0.1:0', ...(options.props ?? {}) }))
  )
  const server = new KafkaServer({ logger: createLogger('silent'), ...options, config })
  await server.start()
  const port = server.boundEndPoints[0]?.port
  if (port === undefined) throw new Error('broker bound no port')
  return { server, port }
}
