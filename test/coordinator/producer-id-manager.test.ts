import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  FileProducerIdBlockSource,
  PRODUCER_ID_BLOCK_FILE,
  type ProducerIdBlock,
  ProducerIdManager
} from '../../src/coordinator/producer-id-manager.js'

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-pid-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function take(m: ProducerIdManager, n: number): Promise<bigint[]> {
  const ids: bigint[] = []
  for (let i = 0; i < n; i++) ids.push(await m.generateProducerId())
  return ids
}

function assertStrictlyIncreasing(ids: readonly bigint[]): void {
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `id ${ids[i]} after ${ids[i - 1]}`)
}

test('ids increase and never repeat across reopen', async () => {
  await withTempDir(async (dir) => {
    const first = await take(ProducerIdManager.forDirectory(dir, 100), 250)
    assert.deepEqual(first.slice(0, 3), [0n, 1n, 2n])
    assertStrictlyIncreasing(first)
    const second = await take(ProducerIdManager.forDirectory(dir, 100), 250)
    assertStrictlyIncreasing([...first, ...second])
    // The unused rest of a reserved block is skipped, never reused.
    assert.ok((second[0] ?? 0n) >= 300n)
    const third = await take(ProducerIdManager.forDirectory(dir), 5)
    assertStrictlyIncreasing([...second, ...third])
  })
})

test('concurrent callers all get distinct ids', async () => {
  await withTempDir(async (dir) => {
    const m = ProducerIdManager.forDirectory(dir, 7)
    const ids = await Promise.all(Array.from({ length: 500 }, () => m.generateProducerId()))
    assert.equal(new Set(ids).size, ids.length)
    assertStrictlyIncreasing(ids)
  })
})

test('the block file is reserved before ids from it are handed out', async () => {
  await withTempDir(async (dir) => {
    const m = ProducerIdManager.forDirectory(dir, 10)
    assert.equal(await m.generateProducerId(), 0n)
    const text = await readFile(join(dir, PRODUCER_ID_BLOCK_FILE), 'utf8')
    assert.deepEqual(JSON.parse(text), { version: 1, nextBlockStart: '10' })
    assert.deepEqual(await readdir(dir), [PRODUCER_ID_BLOCK_FILE])
  })
})

test('an unreadable block file is an error, not a restart from 0', async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, PRODUCER_ID_BLOCK_FILE), '{"version":1,"nextBlockStart":-5}')
    await assert.rejects(ProducerIdManager.forDirectory(dir).generateProducerId(), { name: 'KafkaError' })
  })
})

test('a failing source surfaces as a retriable error and the next call retries', async () => {
  let calls = 0
  const source = {
    async allocateBlock(): Promise<ProducerIdBlock> {
      calls++
      if (calls === 1) throw new Error('controller unavailable')
      return { firstProducerId: 5000n, size: 2 }
    }
  }
  const m = new ProducerIdManager({ source })
  await assert.rejects(m.generateProducerId(), { name: 'KafkaError', message: /no producer id block/ })
  assert.deepEqual(await take(m, 2), [5000n, 5001n])
})

test('a source must not hand out a block overlapping the current one', async () => {
  const source = {
    async allocateBlock(): Promise<ProducerIdBlock> {
      return { firstProducerId: 0n, size: 2 }
    }
  }
  const m = new ProducerIdManager({ source })
  assert.deepEqual(await take(m, 2), [0n, 1n])
  await assert.rejects(m.generateProducerId(), { name: 'KafkaError' })
})

test('exhaustion of the int64 id space is reported', async () => {
  await withTempDir(async (dir) => {
    await writeFile(
      join(dir, PRODUCER_ID_BLOCK_FILE),
      JSON.stringify({ version: 1, nextBlockStart: String((1n << 63n) - 5n) })
    )
    const source = new FileProducerIdBlockSource(dir, 10)
    await assert.rejects(source.allocateBlock(), /exhausted/)
  })
})

const MODULE = fileURLToPath(new URL('../../src/coordinator/producer-id-manager.js', import.meta.url))
const CHILD = `
const { ProducerIdManager } = await import(process.argv[1])
const m = ProducerIdManager.forDirectory(process.argv[2], 10)
for (;;) process.stdout.write(String(await m.generateProducerId()) + '\\n')
`

/** Runs a process handing out ids as fast as it can and SIGKILLs it after it printed `count` of them. */
function runAndKill(dir: string, count: number): Promise<bigint[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, MODULE, dir], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let text = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      text += chunk
      if (text.split('\n').length > count) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited without being killed (${signal})`))
      resolve(
        text
          .split('\n')
          .filter((l) => /^\d+$/.test(l))
          .map(BigInt)
      )
    })
  })
}

test('ids never repeat after SIGKILL in the middle of handing them out', async () => {
  await withTempDir(async (dir) => {
    const seen: bigint[] = []
    for (let round = 0; round < 4; round++) {
      const ids = await runAndKill(dir, 200 + round * 37)
      assert.ok(ids.length >= 200)
      assertStrictlyIncreasing([...seen, ...ids])
      seen.push(...ids)
    }
    const after = await take(ProducerIdManager.forDirectory(dir, 10), 30)
    assertStrictlyIncreasing([...seen, ...after])
    // Temp files a killed write left behind are cleaned up on the next open (this process may have a
    // prefetch of its own in flight).
    const stale = (await readdir(dir)).filter(
      (f) => f !== PRODUCER_ID_BLOCK_FILE && !f.includes(`.${process.pid}-`)
    )
    assert.deepEqual(stale, [])
  })
})
