/**
 * What the authorizer costs on the data path: produce and fetch throughput of one broker with the authorizer
 * off and on, same workload, same client, same listener.
 *  - Both brokers have a SASL_PLAINTEXT listener with PLAIN users (the clients authenticate as `bench` in both
 *    runs, so SASL is not what differs) and a PLAINTEXT listener whose ANONYMOUS principal sets up the topic and
 *    the ACLs. "On" adds `authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer`,
 *    `super.users=User:admin;User:ANONYMOUS`, the ACLs that let `bench` work (WRITE and DESCRIBE on the PREFIXED
 *    topic pattern `bench-`, READ on the LITERAL topic, READ on the driver's LITERAL group) and 10,000 other
 *    ACLs created through CreateAcls in batches of 500: 9,000 for other principals on other topics (a quarter
 *    PREFIXED) and groups, and 1,000 for other principals on the measured topic itself, so that the lookup for
 *    the measured topic has other entries to pass over.
 *  - Load: the C driver (bench/driver/kafka-driver.c, librdkafka) with sasl.mechanism=PLAIN: a produce-only run
 *    of N records (acks=1, linger.ms=5, 4 partitions, one producer) after a warm-up of N/5 records on a topic
 *    of its own (V8's JIT), then a catch-up consumer reading the N records from offset zero (Fetch with
 *    explicit assignment). records/s of each, and the broker's CPU per record, from /proc.
 *  - Rounds alternate off and on (default 2 each) on fresh brokers; the on/off ratio is of the medians.
 * Run: npx tsc -p tsconfig.json && node dist/bench/authorizer-cost.js [records] [size] [rounds]
 *      (default 500000 records of 100 bytes, 2 rounds)
 *
 * Results (one run, 2026-12-08, 2 cores, load average 0.3 at start, Node 20, librdkafka 2.0.2; 500,000 × 100 B,
 * 2 rounds): produce off 1,822k and 1,509k records/s (0.18, 0.28 us broker CPU per record), on 1,602k and
 * 2,075k (0.24, 0.18 us): medians 1,666k vs 1,838k, on/off 1.10. Fetch off 651k and 629k (0.22, 0.38 us), on
 * 615k and 673k (0.30, 0.36 us): medians 640k vs 644k, on/off 1.01. No cost shows above the run-to-run spread:
 * the authorizer is asked once per topic per request (not per record or batch), so with batches of thousands
 * of records its cost is amortised away.
 */

import kafkajs from 'kafkajs'
import { BrokerProcess } from '../test/helpers/broker-process.js'
import { buildBinaries } from './lib/build-drivers.js'
import { cpuSeconds } from './lib/proc-stats.js'
import { type DriverResult, runDriver } from './lib/run-driver.js'

const RECORDS = Number(process.argv[2] ?? 500_000)
const SIZE = Number(process.argv[3] ?? 100)
const ROUNDS = Number(process.argv[4] ?? 2)
const OTHER_ACLS = 10_000
const BATCH = 500
const TOPIC = 'bench-authz'
const GROUP = 'samsa-bench'
const USERS = { admin: 'admin-secret', bench: 'bench-secret' }
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(' ')};`
const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs

interface RunResult {
  produce: number
  fetch: number
  produceCpuUs: number
  fetchCpuUs: number
}

type Acl = Parameters<ReturnType<kafkajs.Kafka['admin']>['createAcls']>[0]['acl'][number]

const acl = (
  resourceType: number,
  resourceName: string,
  pattern: number,
  principal: string,
  operation: number
): Acl => ({
  resourceType,
  resourceName,
  resourcePatternType: pattern,
  principal,
  host: '*',
  operation,
  permissionType: AclPermissionTypes.ALLOW
})

/** The ACLs that let `bench` produce and fetch, and 10,000 that concern others. */
function aclsFor(): Acl[] {
  const { TOPIC: T, GROUP: G } = AclResourceTypes
  const { LITERAL, PREFIXED } = ResourcePatternTypes
  const { READ, WRITE, DESCRIBE } = AclOperationTypes
  const mine = [
    acl(T, 'bench-', PREFIXED, 'User:bench', WRITE),
    acl(T, 'bench-', PREFIXED, 'User:bench', DESCRIBE),
    acl(T, TOPIC, LITERAL, 'User:bench', READ),
    acl(G, GROUP, LITERAL, 'User:bench', READ)
  ]
  const others = Array.from({ length: OTHER_ACLS }, (_, i) => {
    const operation = i % 2 === 0 ? READ : WRITE
    // One principal each on the measured topic (ACLs are a set: a repeated one is stored once).
    if (i < 1_000) return acl(T, TOPIC, LITERAL, `User:other-${i}`, operation)
    const principal = `User:other-${i % 500}`
    if (i % 10 === 0) return acl(G, `group-${i}`, LITERAL, principal, READ)
    if (i % 4 === 0) return acl(T, `team-${i}-`, PREFIXED, principal, operation)
    return acl(T, `topic-${i}`, LITERAL, principal, operation)
  })
  return [...mine, ...others]
}

async function oneRun(driver: string, authorizer: boolean): Promise<RunResult> {
  const broker = await BrokerProcess.start({
    overrides: [
      'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'inter.broker.listener.name=PLAINTEXT',
      'sasl.enabled.mechanisms=PLAIN',
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
      'offsets.topic.replication.factor=1',
      ...(authorizer
        ? [
            'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
            'super.users=User:admin;User:ANONYMOUS'
          ]
        : [])
    ],
    startTimeoutMs: 30_000
  })
  try {
    const kafka = new kafkajs.Kafka({
      brokers: [`127.0.0.1:${broker.portOf('PLAINTEXT')}`],
      logLevel: kafkajs.logLevel.NOTHING
    })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [TOPIC, `${TOPIC}-warmup`].map((topic) => ({ topic, numPartitions: 4 })),
      waitForLeaders: true
    })
    if (authorizer) {
      const all = aclsFor()
      for (let i = 0; i < all.length; i += BATCH) await admin.createAcls({ acl: all.slice(i, i + BATCH) })
      const listed = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY
      })
      const count = listed.resources.reduce((n, r) => n + r.acls.length, 0)
      if (count !== all.length) throw new Error(`${count} ACLs listed, ${all.length} created`)
    }
    await admin.disconnect()

    const base = (topic: string, records: number) => [
      '--property',
      'security.protocol=sasl_plaintext',
      '--property',
      'sasl.mechanism=PLAIN',
      '--property',
      'sasl.username=bench',
      '--property',
      `sasl.password=${USERS.bench}`,
      '--bootstrap',
      `127.0.0.1:${broker.portOf('SASL_PLAINTEXT')}`,
      '--topic',
      topic,
      '--records',
      String(records),
      '--size',
      String(SIZE),
      '--partitions',
      '4',
      '--create',
      '0',
      '--timeout-s',
      '300'
    ]
    const checked = (r: DriverResult, what: string, expected: number) => {
      const done = what === 'produce' ? r.produce.acked : r.consume.records
      if (r.error || r.timedOut || done < expected)
        throw new Error(`${what}: ${done} of ${expected}${r.error ? `, ${r.error}` : ''}`)
      return r
    }
    const warm = Math.max(1, Math.floor(RECORDS / 5))
    checked(
      await runDriver(driver, [...base(`${TOPIC}-warmup`, warm), '--consume', '0'], 400_000),
      'produce',
      warm
    )
    let cpu = cpuSeconds(broker.pid)
    const produced = checked(
      await runDriver(driver, [...base(TOPIC, RECORDS), '--consume', '0'], 400_000),
      'produce',
      RECORDS
    )
    const produceCpu = cpuSeconds(broker.pid) - cpu
    cpu = cpuSeconds(broker.pid)
    const fetched = checked(
      await runDriver(driver, [...base(TOPIC, RECORDS), '--produce', '0'], 400_000),
      'fetch',
      RECORDS
    )
    const fetchCpu = cpuSeconds(broker.pid) - cpu
    return {
      produce: produced.produce.recordsPerSec,
      fetch: fetched.consume.recordsPerSec,
      produceCpuUs: (produceCpu * 1e6) / RECORDS,
      fetchCpuUs: (fetchCpu * 1e6) / RECORDS
    }
  } finally {
    await broker.stop()
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

async function main(): Promise<void> {
  const binaries = buildBinaries()
  if (!binaries.kafkaDriver) throw new Error(`kafka driver unavailable: ${binaries.missing.kafkaDriver}`)
  const off: RunResult[] = []
  const on: RunResult[] = []
  for (let round = 0; round < ROUNDS; round++) {
    off.push(await oneRun(binaries.kafkaDriver, false))
    on.push(await oneRun(binaries.kafkaDriver, true))
  }
  const k = (n: number) => `${(n / 1000).toFixed(0)}k`
  const line = (name: string, runs: RunResult[]) =>
    `${name}: produce ${runs.map((r) => `${k(r.produce)}/s (${r.produceCpuUs.toFixed(2)} us CPU/record)`).join(', ')}; ` +
    `fetch ${runs.map((r) => `${k(r.fetch)}/s (${r.fetchCpuUs.toFixed(2)} us CPU/record)`).join(', ')}`
  console.log(`${RECORDS} records of ${SIZE} B, 4 partitions, acks=1, SASL PLAIN; ${ROUNDS} rounds`)
  console.log(line('authorizer off', off))
  console.log(line(`authorizer on, ${OTHER_ACLS} other ACLs`, on))
  for (const what of ['produce', 'fetch'] as const) {
    const ratio = median(on.map((r) => r[what])) / median(off.map((r) => r[what]))
    const cpuKey = what === 'produce' ? 'produceCpuUs' : 'fetchCpuUs'
    console.log(
      `${what}: median off ${k(median(off.map((r) => r[what])))}/s, on ${k(median(on.map((r) => r[what])))}/s, ` +
        `on/off ${ratio.toFixed(2)}; broker CPU/record off ${median(off.map((r) => r[cpuKey])).toFixed(2)} us, ` +
        `on ${median(on.map((r) => r[cpuKey])).toFixed(2)} us`
    )
  }
}

await main()
