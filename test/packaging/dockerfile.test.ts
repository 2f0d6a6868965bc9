/**
 * Docker cannot run where the tests run, so the Dockerfile is checked statically: parsed into instructions
 * per stage, then held to what the image promises (docs/deployment.md): a multi-stage build, a non-root user,
 * the /var/lib/samsa data volume, the Kafka and admin ports, a HEALTHCHECK on /readyz, a command the broker
 * accepts, and a .dockerignore that keeps the context to what the build copies.
 */

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { KafkaConfig } from '../../src/config/kafka-config.js'
import { parseOverride } from '../../src/config/load-config.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

interface Instruction {
  readonly keyword: string
  readonly args: string
}

interface Stage {
  readonly from: string
  readonly name: string | undefined
  readonly instructions: Instruction[]
}

/** Dockerfile syntax as far as this file uses it: comments, line continuations, one instruction a line. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && pending === '') continue
    const line = raw.replace(/\s+$/, '')
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    if (full !== '') logical.push(full)
  }
  const stages: Stage[] = []
  for (const line of logical) {
    const match = /^(\w+)\s+([\s\S]*)$/.exec(line)
    assert.ok(match, `unparsable line: ${line}`)
    const keyword = match[1]!.toUpperCase()
    const args = match[2]!
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      assert.ok(from, `bad FROM: ${args}`)
      stages.push({ from: from[1]!, name: from[2], instructions: [] })
    } else {
      assert.ok(stages.length > 0, `${keyword} before FROM`)
      stages.at(-1)!.instructions.push({ keyword, args })
    }
  }
  return stages
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword)
const jsonArgs = (args: string): string[] => JSON.parse(args) as string[]

describe('Dockerfile', () => {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
  const final = stages.at(-1)!

  it('builds in stages, and the final stage copies only from a named earlier stage', () => {
    assert.ok(stages.length >= 2)
    const names = stages.slice(0, -1).map((s) => s.name)
    const copies = all(final, 'COPY')
    assert.ok(copies.length > 0)
    for (const c of copies) {
      const from = /--from=(\S+)/.exec(c.args)?.[1]
      assert.ok(from && names.includes(from), `final-stage COPY not from a build stage: ${c.args}`)
    }
    assert.ok(
      !all(final, 'RUN').some((r) => /npm (ci|install)|tsc/.test(r.args)),
      'no build in the final stage'
    )
  })

  it('runs as a non-root user that owns /var/lib/samsa, declared as a volume', () => {
    const users = all(final, 'USER')
    assert.equal(users.length, 1)
    const user = users[0]!.args.split(':')[0]!
    assert.ok(!['root', '0'].includes(user), `runs as ${user}`)
    const run = all(final, 'RUN')
      .map((r) => r.args)
      .join('\n')
    assert.match(run, new RegExp(`useradd [^\\n]*\\b${user}\\b`))
    assert.match(run, new RegExp(`chown -R ${user}:\\S+ /var/lib/samsa`))
    const volumes = all(final, 'VOLUME').flatMap((v) =>
      v.args.startsWith('[') ? jsonArgs(v.args) : v.args.split(/\s+/)
    )
    assert.deepEqual(volumes, ['/var/lib/samsa'])
    // USER comes before the process starts: nothing after it switches back.
    const index = final.instructions.findIndex((i) => i.keyword === 'USER')
    assert.ok(index < final.instructions.findIndex((i) => i.keyword === 'ENTRYPOINT'))
  })

  it('exposes 9092 and 9644 and checks health on http://127.0.0.1:9644/readyz', () => {
    const ports = all(final, 'EXPOSE').flatMap((e) => e.args.split(/\s+/))
    assert.deepEqual(ports.sort(), ['9092', '9644'])
    const checks = all(final, 'HEALTHCHECK')
    assert.equal(checks.length, 1)
    const check = checks[0]!.args
    assert.match(check, /--interval=\d+s/)
    assert.match(check, /--timeout=\d+s/)
    const cmd = /CMD\s+(\[.*\])$/.exec(check)
    assert.ok(cmd, 'HEALTHCHECK CMD in exec form')
    const argv = jsonArgs(cmd[1]!)
    assert.equal(argv[0], 'node')
    assert.match(argv.join(' '), /fetch\('http:\/\/127\.0\.0\.1:9644\/readyz'\)/)
  })

  it('starts bin/samsa.js with a broker command whose configuration is valid and keeps data in the volume', () => {
    const entry = jsonArgs(all(final, 'ENTRYPOINT')[0]!.args)
    assert.deepEqual(entry, ['node', '/opt/samsa/bin/samsa.js'])
    const copiedBin = all(final, 'COPY').some((c) => /\/build\/bin \.\/bin$/.test(c.args))
    assert.ok(copiedBin && existsSync(join(ROOT, 'bin/samsa.js')))
    const cmd = jsonArgs(all(final, 'CMD')[0]!.args)
    assert.equal(cmd[0], 'broker')
    const overrides = cmd.filter((_, i) => cmd[i - 1] === '--override')
    const config = new KafkaConfig(new Map(overrides.map(parseOverride)))
    assert.deepEqual(config.logDirs, ['/var/lib/samsa/data'])
    assert.deepEqual(
      config.listeners.map((l) => l.port),
      [9092]
    )
    assert.deepEqual(config.unknownKeys, [])
  })

  it('runs the install script of every production dependency that has one, though npm ci ignores scripts', () => {
    const build = stages
      .slice(0, -1)
      .flatMap((s) => all(s, 'RUN').map((r) => r.args))
      .join('\n')
    if (!/npm ci[^\n&]*--ignore-scripts/.test(build)) return
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
    }
    const withInstallScripts = Object.keys(pkg.dependencies).filter((dep) => {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'node_modules', dep, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>
      }
      return ['preinstall', 'install', 'postinstall'].some((s) => manifest.scripts?.[s] !== undefined)
    })
    assert.ok(withInstallScripts.includes('zstd-napi'), 'zstd-napi installs its binary with a script')
    for (const dep of withInstallScripts)
      assert.match(build, new RegExp(`npm rebuild [^\n]*\\b${dep}\\b`), dep)
  })

  it('.dockerignore admits exactly what the build stage copies from the context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
    assert.equal(ignore[0], '*')
    const admitted = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''))
    const copied = stages
      .slice(0, -1)
      .flatMap((s) => all(s, 'COPY'))
      .filter((c) => !c.args.includes('--from='))
      .flatMap((c) => c.args.split(/\s+/).slice(0, -1))
    assert.deepEqual([...new Set(copied)].sort(), [...admitted].sort())
    for (const path of copied)
      assert.ok(existsSync(join(ROOT, path)), `${path} is missing from the repository`)
  })
})
