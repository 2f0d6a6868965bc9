import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runCli } from '../helpers/broker-process.js'

describe('samsa cluster (arguments)', () => {
  it('exits 1 with the usage on a missing action, a missing --brokers or a bad --base-port', async () => {
    const none = await runCli(['cluster'])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /missing the action \(start, [\s\S]*Usage: samsa cluster start/)
    const noBrokers = await runCli(['cluster', 'start', '--dir', '/nonexistent-samsa'])
    assert.equal(noBrokers.code, 1)
    assert.match(noBrokers.stderr, /--brokers is required/)
    const badPort = await runCli(['cluster', 'start', '--brokers', '3', '--base-port', '65535'])
    assert.equal(badPort.code, 1)
    assert.match(badPort.stderr, /--base-port must be an integer between 1 and 65533, got 65535/)
    const badRacks = await runCli(['cluster', 'start', '--brokers', '2', '--racks', 'a,,b'])
    assert.equal(badRacks.code, 1)
    assert.match(badRacks.stderr, /--racks must be a comma-separated list/)
    const extra = await runCli(['cluster', 'status', 'extra', '--dir', '/nonexistent-samsa'])
    assert.equal(extra.code, 1)
    assert.match(extra.stderr, /unexpected argument extra[\s\S]*Usage: samsa cluster start/)
    const unknown = await runCli(['cluster', 'frobnicate'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /unknown action frobnicate/)
  })

  it('stop exits 1 naming the state file when no cluster was started there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-cli-'))
    try {
      const r = await runCli(['cluster', 'stop', '--dir', dir])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /no cluster state in .*cluster\.json/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('samsa broker with metadata.store=etcd (configuration errors)', () => {
  it('names the key and the allowed values of metadata.store', async () => {
    const r = await runCli(['broker', '--override', 'metadata.store=zookeeper'])
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      /Invalid value zookeeper for configuration metadata\.store: must be one of \[file, etcd\]/
    )
  })

  it('requires etcd.endpoints, valid URLs and a fixed port, naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-cli-'))
    const base = ['broker', '--override', `log.dirs=${dir}`, '--override', 'metadata.store=etcd']
    try {
      const missing = await runCli([...base, '--override', 'listeners=PLAINTEXT://127.0.0.1:19999'])
      assert.equal(missing.code, 1)
      assert.match(missing.stdout, /configuration etcd\.endpoints: must list etcd client URLs/)
      const badUrl = await runCli([
        ...base,
        '--override',
        'listeners=PLAINTEXT://127.0.0.1:19999',
        '--override',
        'etcd.endpoints=127.0.0.1:2379'
      ])
      assert.equal(badUrl.code, 1)
      assert.match(badUrl.stdout, /Invalid value 127\.0\.0\.1:2379 for configuration etcd\.endpoints/)
      const portZero = await runCli([
        ...base,
        '--override',
        'listeners=PLAINTEXT://127.0.0.1:0',
        '--override',
        'etcd.endpoints=http://127.0.0.1:2379'
      ])
      assert.equal(portZero.code, 1)
      assert.match(
        portZero.stdout,
        /configuration listeners: must name fixed ports \(not 0\) when metadata\.store=etcd/
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
