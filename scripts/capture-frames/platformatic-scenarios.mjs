// Drives @platformatic/kafka through one scenario so that its request frames can be captured.
// Usage: node platformatic-scenarios.mjs <scenario> <bootstrap> <topic>; client id `platformatic-<scenario>`.
// Against the librdkafka mock it gets no further than ApiVersions (it cannot parse the mock's v3+
// reply), so failures after the first request are expected and only reported.
import { Producer, stringSerializers } from '@platformatic/kafka'

const [scenario, bootstrap, topic] = process.argv.slice(2)
if (!scenario || !bootstrap || !topic) {
  console.error('usage: platformatic-scenarios.mjs <scenario> <bootstrap> <topic>')
  process.exit(2)
}

async function produce(compression) {
  const producer = new Producer({
    clientId: `platformatic-${scenario}`,
    bootstrapBrokers: bootstrap.split(','),
    serializers: stringSerializers,
    retries: 0,
    timeout: 3000
  })
  try {
    await producer.send({
      acks: -1,
      compression,
      messages: [
        { topic, partition: 2, key: 'k1', value: 'v1', headers: new Map([['h1', 'x']]) },
        { topic, partition: 2, key: 'k2', value: 'v2' }
      ]
    })
  } finally {
    await producer.close()
  }
}

const scenarios = { produce: () => produce('none'), gzip: () => produce('gzip') }
const run = scenarios[scenario]
if (!run) {
  console.error(`unknown scenario ${scenario}; known: ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}
const timer = setTimeout(() => {
  console.error(`platformatic scenario ${scenario} timed out`)
  process.exit(1)
}, 15_000)
await run()
clearTimeout(timer)
