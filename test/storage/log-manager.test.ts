import assert from 'node:assert/strict'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { LogConfig } from '../../src/storage/log-config.js'
import { LogManager } from '../../src/storage/log-manager.js'
import { withTempDir } from './batch-fixtures.js'
import { produce } from './log-helpers.js'

test('creates logs across log dirs, checkpoints offsets and reopens them', async () => {
  await withTempDir(async (root) => {
    const logDirs = [join(root, 'a'), join(root, 'b')]
    const manager = new LogManager({ logDirs })
    await manager.startup()
    const p0 = await manager.getOrCreateLog('orders', 0)
    const p1 = await manager.getOrCreateLog('orders', 1)
    assert.equal(await manager.getOrCreateLog('orders', 0), p0)
    assert.deepEqual((await readdir(logDirs[0]!)).filter((n) => n.startsWith('orders')).length, 1)
    assert.deepEqual((await readdir(logDirs[1]!)).filter((n) => n.startsWith('orders')).length, 1)
    await produce(p0, 5)
    await produce(p1, 3)
    p0.highWatermark = 4
    await manager.shutdown()
    const hw = await readFile(join(p0.dir, '..', 'replication-offset-checkpoint'), 'utf8')
    assert.equal(hw, '0\n1\norders 0 4\n')

    const again = new LogManager({ logDirs })
    await again.startup()
    const r0 = again.getLog('orders', 0)
    assert.ok(r0)
    assert.equal(r0.logEndOffset, 5)
    assert.equal(r0.highWatermark, 4)
    assert.equal(again.getLog('orders', 1)?.logEndOffset, 3)
    assert.equal(again.getLog('orders', 2), undefined)
    await again.shutdown()
  })
})

test('concurrent creation of one partition yields one log', async () => {
  await withTempDir(async (root) => {
    const manager = new LogManager({ logDirs: [root] })
    await manager.startup()
    const [a, b] = await Promise.all([manager.getOrCreateLog('t', 0), manager.getOrCreateLog('t', 0)])
    assert.equal(a, b)
    await manager.shutdown()
  })
})

test('deleteLog renames the directory for deletion and it stays gone after restart', async () => {
  await withTempDir(async (root) => {
    const manager = new LogManager({ logDirs: [root] })
    await manager.startup()
    await produce(await manager.getOrCreateLog('gone', 0), 2)
    await manager.getOrCreateLog('kept', 0)
    assert.equal(await manager.deleteLog('gone', 0), true)
    assert.equal(await manager.deleteLog('gone', 0), false)
    assert.equal(manager.getLog('gone', 0), undefined)
    assert.ok(!(await readdir(root)).includes('gone-0'))
    await mkdir(join(root, 'old-3.0123456789abcdef0123456789abcdef-delete'))
    await manager.shutdown()
    const again = new LogManager({ logDirs: [root] })
    await again.startup()
    assert.equal(again.getLog('gone', 0), undefined)
    assert.ok(again.getLog('kept', 0))
    const left = await readdir(root)
    assert.ok(!left.some((n) => n.endsWith('-delete')), `leftovers: ${left.join(',')}`)
    await again.shutdown()
  })
})

test('after a crash, logs recover from the checkpointed recovery point', async () => {
  await withTempDir(async (root) => {
    const manager = new LogManager({
      logDirs: [root],
      defaultConfig: new LogConfig({ 'segment.bytes': 500 })
    })
    await manager.startup()
    const log = await manager.getOrCreateLog('t', 0)
    await produce(log, 30, { valueBytes: 30 })
    await log.flush()
    await produce(log, 3, { valueBytes: 30 })
    await manager.checkpointAll()
    const rp = await readFile(join(root, 'recovery-point-offset-checkpoint'), 'utf8')
    // At least the explicit flush; a roll during the last appends may have flushed further in the background.
    const checkpointed = Number(/^0\n1\nt 0 (\d+)\n$/.exec(rp)?.[1])
    assert.ok(checkpointed >= 30 && checkpointed <= 33, rp)
    await log.closeHandles()
    const again = new LogManager({ logDirs: [root], defaultConfig: new LogConfig({ 'segment.bytes': 500 }) })
    await again.startup()
    const reopened = again.getLog('t', 0)
    assert.equal(reopened?.logEndOffset, 33)
    assert.equal(reopened?.recoveryPoint, 33, 'recovered segments are flushed')
    await again.shutdown()
  })
})

test('the retention pass applies each topic config', async () => {
  await withTempDir(async (root) => {
    const short = new LogConfig({ 'segment.bytes': 500, 'retention.bytes': 0, 'file.delete.delay.ms': 0 })
    const manager = new LogManager({
      logDirs: [root],
      topicConfig: (topic) => (topic === 'short' ? short : new LogConfig({ 'segment.bytes': 500 }))
    })
    await manager.startup()
    const a = await manager.getOrCreateLog('short', 0)
    const b = await manager.getOrCreateLog('long', 0)
    await produce(a, 20, { valueBytes: 50, timestamp: Date.now() })
    await produce(b, 20, { valueBytes: 50, timestamp: Date.now() })
    a.highWatermark = a.logEndOffset
    b.highWatermark = b.logEndOffset
    const segmentsB = b.segments.length
    assert.ok((await manager.cleanupLogs()) > 0)
    assert.equal(a.segments.length, 1)
    assert.equal(a.logStartOffset, a.activeSegment.baseOffset)
    assert.equal(b.segments.length, segmentsB)
    await manager.shutdown()
  })
})
