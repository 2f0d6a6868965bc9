#!/usr/bin/env node
// Regenerates test/fixtures/frames/: runs real Kafka clients (kcat, kafkajs, @platformatic/kafka)
// against the librdkafka mock cluster while tcpdump records the loopback interface, then reassembles
// each client→broker TCP stream and saves the request frames. A capture, rather than a proxy, is
// needed because the mock advertises its own port in Metadata and clients reconnect there.
//
// Usage (as root, with tcpdump, kcat and librdkafka-dev installed):
//   node scripts/capture-frames/main.mjs [--mockd /tmp/mockd] [--out test/fixtures/frames]
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadApiNames, selectFixtures } from './fixtures.mjs'
import { reassembleTcpStreams, splitKafkaFrames } from './pcap.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../..')
const args = new Map()
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(process.argv[i], process.argv[i + 1])
const outDir = resolve(args.get('--out') ?? join(repo, 'test/fixtures/frames'))
const mockdPath = args.get('--mockd') ?? join(tmpdir(), 'samsa-peers/mockd')
const schemaDir = args.get('--schemas') ?? resolve(repo, '../shared/kafka-protocol/message')
const TOPIC = 'captest'

function packageVersion(name) {
  // Read the file directly: @platformatic/kafka does not export its package.json.
  const require = createRequire(join(repo, 'package.json'))
  const entry = require.resolve(name)
  let dir = dirname(entry)
  while (!dir.endsWith(join('node_modules', name))) dir = dirname(dir)
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
}

function kcatVersion() {
  const out = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout
  const kcat = /Version (\S+)/.exec(out)?.[1]
  const rdkafka = /librdkafka (\S+)/.exec(out)?.[1]
  return `${kcat} (librdkafka ${rdkafka})`
}

/** Runs a command to completion; rejects on a non-zero exit unless allowFailure is set. */
function run(cmd, argv, { input, allowFailure = false, timeoutMs = 30_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { stdio: ['pipe', 'ignore', 'pipe'], cwd: here })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0 || allowFailure) resolvePromise()
      else reject(new Error(`${cmd} ${argv.join(' ')} exited ${code ?? signal}: ${stderr.slice(-500)}`))
    })
    child.stdin.end(input ?? '')
  })
}

/** Starts a long-running process and resolves once a line of its output matches `ready`. */
function startDaemon(cmd, argv, stream, ready) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    let buffered = ''
    child[stream].on('data', (d) => {
      buffered += d
      const match = buffered.split('\n').find((line) => ready.test(line))
      if (match !== undefined) resolvePromise({ child, line: match })
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code} before it was ready: ${buffered}`)))
  })
}

function stop(child, signal) {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null) return resolvePromise()
    child.removeAllListeners('exit')
    child.on('exit', () => resolvePromise())
    child.kill(signal)
  })
}

const kcatVer = kcatVersion()
const kafkajsVer = packageVersion('kafkajs')
const platformaticVer = packageVersion('@platformatic/kafka')

/** Each scenario runs under its own client id, which is how its frames are found in the capture. */
function scenarios(bootstrap) {
  const kcat = (id, extra, opts) => () =>
    run('kcat', ['-b', bootstrap, '-X', `client.id=${id}`, ...extra], opts)
  const node = (script, scenario, opts) => () =>
    run(process.execPath, [join(here, script), scenario, bootstrap, TOPIC], opts)
  const records = 'k1:v1\nk2:v2\nk3:v3\n'
  const produceArgs = ['-P', '-t', TOPIC, '-p', '2', '-K:', '-H', 'h1=x', '-H', 'h2=y', '-X', 'linger.ms=50']
  return [
    { client: 'kcat', clientId: 'kcat-metadata', run: kcat('kcat-metadata', ['-L']) },
    { client: 'kcat', clientId: 'kcat-produce', run: kcat('kcat-produce', produceArgs, { input: records }) },
    {
      client: 'kcat',
      clientId: 'kcat-gzip',
      suffix: 'gzip',
      only: ['Produce'],
      run: kcat('kcat-gzip', [...produceArgs, '-z', 'gzip'], { input: records })
    },
    {
      client: 'kcat',
      clientId: 'kcat-consume',
      run: kcat('kcat-consume', ['-C', '-t', TOPIC, '-p', '2', '-o', 'beginning', '-e', '-q'])
    },
    {
      client: 'kcat',
      clientId: 'kcat-group',
      run: kcat('kcat-group', ['-G', 'capture-kcat', '-o', 'beginning', '-e', '-q', TOPIC])
    },
    { client: 'kcat', clientId: 'kcat-query', run: kcat('kcat-query', ['-Q', '-t', `${TOPIC}:2:-1`]) },
    { client: 'kafkajs', clientId: 'kafkajs-produce', run: node('kafkajs-scenarios.mjs', 'produce') },
    {
      client: 'kafkajs',
      clientId: 'kafkajs-gzip',
      suffix: 'gzip',
      only: ['Produce'],
      run: node('kafkajs-scenarios.mjs', 'gzip')
    },
    { client: 'kafkajs', clientId: 'kafkajs-admin', run: node('kafkajs-scenarios.mjs', 'admin') },
    { client: 'kafkajs', clientId: 'kafkajs-consume', run: node('kafkajs-scenarios.mjs', 'consume') },
    {
      client: 'platformatic',
      clientId: 'platformatic-produce',
      // Fails after ApiVersions against the mock (see platformatic-scenarios.mjs).
      run: node('platformatic-scenarios.mjs', 'produce', { allowFailure: true })
    }
  ]
}

const CLIENT_VERSIONS = { kcat: kcatVer, kafkajs: kafkajsVer, platformatic: platformaticVer }

async function main() {
  if (!existsSync(mockdPath)) {
    const build = resolve(repo, '../shared/peers/librdkafka-mock/build.sh')
    spawnSync('bash', [build, mockdPath], { stdio: 'inherit' })
  }
  const mock = await startDaemon(mockdPath, ['1', TOPIC, '3'], 'stdout', /^[\d.]+:\d+/)
  const bootstrap = mock.line.trim()
  const ports = bootstrap.split(',').map((hp) => Number(hp.split(':').pop()))
  const pcapPath = join(tmpdir(), `samsa-capture-${process.pid}.pcap`)
  const filter = `tcp and (${ports.map((p) => `port ${p}`).join(' or ')})`
  // -U flushes per packet so that nothing is lost when tcpdump is stopped.
  const tcpdump = await startDaemon(
    'tcpdump',
    ['-i', 'lo', '-U', '-s', '0', '-w', pcapPath, filter],
    'stderr',
    /listening on/
  )
  const list = scenarios(bootstrap)
  try {
    for (const s of list) {
      process.stderr.write(`scenario ${s.clientId}\n`)
      await s.run()
    }
    await new Promise((r) => setTimeout(r, 500))
  } finally {
    await stop(tcpdump.child, 'SIGINT')
    await stop(mock.child, 'SIGTERM')
  }

  const frames = []
  for (const flow of reassembleTcpStreams(readFileSync(pcapPath))) {
    if (ports.includes(flow.dstPort)) frames.push(...splitKafkaFrames(flow.bytes))
  }
  rmSync(pcapPath, { force: true })
  const byClientId = new Map(
    list.map((s) => [s.clientId, { ...s, clientVersion: CLIENT_VERSIONS[s.client] }])
  )
  const fixtures = selectFixtures(frames, byClientId, loadApiNames(schemaDir))
  for (const client of new Set(list.map((s) => s.client))) {
    rmSync(join(outDir, client), { recursive: true, force: true })
    mkdirSync(join(outDir, client), { recursive: true })
  }
  for (const [file, fixture] of [...fixtures].sort(([a], [b]) => a.localeCompare(b))) {
    writeFileSync(join(outDir, file), `${JSON.stringify(fixture, null, 2)}\n`)
    process.stdout.write(`${file} (${fixture.frameHex.length / 2} bytes)\n`)
  }
}

await main()
