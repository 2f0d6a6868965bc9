// Drives kafkajs through one scenario against a running broker so that its request frames can be
// captured. Usage: node kafkajs-scenarios.mjs <scenario> <bootstrap> <topic> ; the client id is
// `kafkajs-<scenario>`, which is how main.mjs tells the scenarios apart in the capture.
import kafkajs from 'kafkajs'

const { Kafka, CompressionTypes, logLevel } = kafkajs
const [scenario, bootstrap, topic] = process.argv.slice(2)
if (!scenario || !bootstrap || !topic) {
  console.error('usage: kafkajs-scenarios.mjs <scenario> <bootstrap> <topic>')
  process.exit(2)
}

const kafka = new Kafka({
  clientId: `kafkajs-${scenario}`,
  brokers: bootstrap.split(','),
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 }
})

// Few, small records keep the fixtures readable; keys and headers exercise the v2 record layout.
const messages = [
  { key: 'k1', value: 'v1', headers: { h1: 'x' } },
  { key: 'k2', value: 'v2', headers: { h1: 'y', h2: 'z' } },
  { key: null, value: 'v3' }
]

async function produce(compression) {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  await producer.send({
    topic,
    acks: -1,
    compression,
    messages: messages.map((m) => ({ ...m, partition: 2 }))
  })
  await producer.disconnect()
}

async function admin() {
  const client = kafka.admin()
  await client.connect()
  await client.fetchTopicOffsets(topic)
  await client.fetchTopicMetadata({ topics: [topic] })
  await client.disconnect()
}

async function consume() {
  const consumer = kafka.consumer({ groupId: 'capture-group', heartbeatInterval: 200, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let seen = 0
  await new Promise((resolve, reject) => {
    consumer
      .run({
        autoCommit: true,
        eachMessage: async () => {
          seen += 1
          if (seen >= messages.length) resolve()
        }
      })
      .catch(reject)
  })
  // Stay a moment so that a Heartbeat and an OffsetCommit go out before LeaveGroup.
  await new Promise((r) => setTimeout(r, 600))
  await consumer.commitOffsets([{ topic, partition: 2, offset: '1' }])
  await consumer.disconnect()
}

const scenarios = {
  produce: () => produce(CompressionTypes.None),
  gzip: () => produce(CompressionTypes.GZIP),
  admin,
  consume
}
const run = scenarios[scenario]
if (!run) {
  console.error(`unknown scenario ${scenario}; known: ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}
const timer = setTimeout(() => {
  console.error(`kafkajs scenario ${scenario} timed out`)
  process.exit(1)
}, 20_000)
await run()
clearTimeout(timer)
