import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType,
  type StandardAcl
} from '../src/security/authorizer/acl-types.js'
import { StandardAuthorizer } from '../src/security/authorizer/standard-authorizer.js'

/**
 * Authorizer micro-benchmark: authorization decisions per second with 10,000 ACLs (half LITERAL, half
 * PREFIXED, over 1,000 principals and a few prefix lengths), for allowed, denied and unmatched topics, and
 * the cost of rebuilding the index after a change. Every produce and fetch asks once per topic, so a
 * decision must stay in the sub-microsecond range whatever the number of ACLs.
 * Run: npm run build && node dist/bench/authorizer.bench.js
 */
const ACLS = 10_000
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1)

function measure(name: string, op: () => void): void {
  for (let i = 0; i < 10_000; i++) op() // warm-up
  let ops = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(SECONDS * 1e9))
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) op()
    ops += 1000
    now = process.hrtime.bigint()
  }
  const seconds = Number(now - start) / 1e9
  console.log(
    `${name.padEnd(44)} ${(ops / seconds / 1e6).toFixed(2)} M ops/s  ${((seconds / ops) * 1e9).toFixed(0)} ns/op`
  )
}

const acls: StandardAcl[] = []
for (let i = 0; i < ACLS; i++) {
  const prefixed = i % 2 === 1
  acls.push({
    resourceType: i % 10 === 0 ? ResourceType.GROUP : ResourceType.TOPIC,
    resourceName: prefixed ? `team-${i % 97}-app-${i}-` : `team-${i % 97}-topic-${i}`,
    patternType: prefixed ? PatternType.PREFIXED : PatternType.LITERAL,
    principal: `User:user-${i % 1000}`,
    host: '*',
    operation: i % 3 === 0 ? AclOperation.READ : AclOperation.WRITE,
    permissionType: i % 50 === 0 ? AclPermissionType.DENY : AclPermissionType.ALLOW
  })
}
const authorizer = new StandardAuthorizer({
  superUsers: new Set(['User:admin']),
  allowEveryoneIfNoAclFound: false
})
authorizer.load(acls)

const subject = (i: number) => ({ principal: `User:user-${i % 1000}`, host: '10.0.0.1' })
const s1 = subject(1)
const s7 = subject(7)
let sink = 0
measure('literal, allowed', () => {
  sink += authorizer.authorize(subject(2), AclOperation.WRITE, ResourceType.TOPIC, 'team-2-topic-2') ? 1 : 0
})
measure('prefixed, allowed', () => {
  sink += authorizer.authorize(s1, AclOperation.WRITE, ResourceType.TOPIC, 'team-1-app-1-orders') ? 1 : 0
})
measure('no matching ACL (denied)', () => {
  sink += authorizer.authorize(s7, AclOperation.READ, ResourceType.TOPIC, 'payments-ledger-2026') ? 1 : 0
})
measure('super user', () => {
  sink += authorizer.authorize(
    { principal: 'User:admin', host: 'h' },
    AclOperation.READ,
    ResourceType.TOPIC,
    'x'
  )
    ? 1
    : 0
})
measure('authorized operations (topic, 8 ops)', () => {
  sink += authorizer.authorizedOperations(s1, ResourceType.TOPIC, 'team-1-app-1-orders')
})
const rebuildStart = process.hrtime.bigint()
for (let i = 0; i < 10; i++) authorizer.load(acls)
console.log(
  `${'index rebuild, 10,000 ACLs'.padEnd(44)} ${(Number(process.hrtime.bigint() - rebuildStart) / 1e7).toFixed(2)} ms`
)
if (sink < 0) console.log(sink)
