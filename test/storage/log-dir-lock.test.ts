import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { LOCK_FILE, LogDirError, LogDirLock, processStartTime } from '../../src/storage/log-dir-lock.js'

describe('LogDirLock', () => {
  let root: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'samsa-lock-'))
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('creates the dir, writes pid and start time, refuses a second holder and removes the file on release', async () => {
    const dir = join(root, 'a', 'b')
    const lock = await LogDirLock.acquire(dir)
    assert.equal((await stat(dir)).isDirectory(), true)
    const text = await readFile(join(dir, LOCK_FILE), 'utf8')
    assert.equal(text, `pid=${process.pid} start=${processStartTime(process.pid) ?? 'unknown'}\n`)
    await assert.rejects(LogDirLock.acquire(dir), (err: Error) => {
      assert.ok(err instanceof LogDirError)
      assert.match(
        err.message,
        new RegExp(`Failed to acquire lock on file \\.lock in ${dir}: .*pid ${process.pid}`)
      )
      return true
    })
    await lock.release()
    await assert.rejects(readFile(join(dir, LOCK_FILE)), { code: 'ENOENT' })
    await (await LogDirLock.acquire(dir)).release()
  })

  it('takes over the lock of a process that has exited', async () => {
    const dir = join(root, 'dead')
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))'
    ]).stdout.toString()
    await LogDirLock.acquire(dir).then((l) => l.release())
    await writeFile(join(dir, LOCK_FILE), `pid=${dead} start=1\n`)
    const lock = await LogDirLock.acquire(dir)
    assert.match(await readFile(join(dir, LOCK_FILE), 'utf8'), new RegExp(`^pid=${process.pid} `))
    await lock.release()
  })

  it('takes over a lock whose pid runs but started at another time (pid reuse)', async (t) => {
    if (processStartTime(process.pid) === null) return t.skip('no /proc: the start time is unknown')
    const dir = join(root, 'reused')
    await LogDirLock.acquire(dir).then((l) => l.release())
    // This very process's pid, with a start time that is not its own: the writer was an earlier process.
    await writeFile(join(dir, LOCK_FILE), `pid=${process.pid} start=1\n`)
    const lock = await LogDirLock.acquire(dir)
    await lock.release()
  })

  it('treats an empty lock file as held while fresh and as stale once old', async () => {
    const dir = join(root, 'empty')
    await LogDirLock.acquire(dir).then((l) => l.release())
    const path = join(dir, LOCK_FILE)
    await writeFile(path, '')
    await assert.rejects(LogDirLock.acquire(dir), LogDirError)
    const old = new Date(Date.now() - 60_000)
    await utimes(path, old, old)
    await (await LogDirLock.acquire(dir)).release()
  })

  it('does not remove a lock another process took over', async () => {
    const dir = join(root, 'taken')
    const lock = await LogDirLock.acquire(dir)
    await writeFile(join(dir, LOCK_FILE), 'pid=1 start=2\n')
    await lock.release()
    assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), 'pid=1 start=2\n')
  })
})
