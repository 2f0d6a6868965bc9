/**
 * The credential argument of Kafka's `kafka-storage format --add-scram`, e.g.
 *
 *   SCRAM-SHA-256=[name=admin,password=admin-secret]
 *   SCRAM-SHA-512=[name=alice,iterations=8192,salt="MWx2NHBk",saltedpassword="mT0yyUUx"]
 *
 * Values may be double-quoted (to hold ',' or ']'); salt and saltedpassword are base64. Without
 * iterations, the mechanism's minimum (4096) is used. Error messages never repeat a password.
 */

import type { UserScramCredential } from '../../cluster/metadata-store.js'
import {
  credentialFromSaltedPassword,
  generateScramCredential,
  MAX_SCRAM_ITERATIONS,
  scramMechanismByName
} from './scram-mechanism.js'

const KNOWN_KEYS = new Set(['name', 'password', 'iterations', 'salt', 'saltedpassword'])

export async function parseScramCredentialSpec(spec: string): Promise<UserScramCredential> {
  const match = /^([^=]+)=\[(.*)\]$/s.exec(spec.trim())
  if (!match) throw new Error(`--add-scram must look like SCRAM-SHA-256=[name=...,password=...]`)
  const [, mechanismName, body] = match as unknown as [string, string, string]
  const m = scramMechanismByName(mechanismName)
  if (!m) throw new Error(`unsupported SCRAM mechanism ${mechanismName}: use SCRAM-SHA-256 or SCRAM-SHA-512`)
  const fields = splitFields(body)
  const name = fields.get('name')
  if (!name) throw new Error(`--add-scram ${m.name} needs name=`)
  const iterationsText = fields.get('iterations')
  const iterations = iterationsText === undefined ? m.minIterations : Number(iterationsText)
  if (!Number.isInteger(iterations) || iterations < m.minIterations || iterations > MAX_SCRAM_ITERATIONS) {
    throw new Error(
      `--add-scram ${m.name} for ${name}: iterations must be an integer from ${m.minIterations} to ${MAX_SCRAM_ITERATIONS}`
    )
  }
  const password = fields.get('password')
  const salt = fields.get('salt')
  const saltedPassword = fields.get('saltedpassword')
  if (password !== undefined) {
    if (saltedPassword !== undefined) {
      throw new Error(`--add-scram ${m.name} for ${name}: give password or saltedpassword, not both`)
    }
    const credential = await generateScramCredential(
      m,
      password,
      iterations,
      salt === undefined ? undefined : base64(salt, 'salt')
    )
    return { user: name, mechanism: m.name, credential }
  }
  if (saltedPassword === undefined || salt === undefined) {
    throw new Error(`--add-scram ${m.name} for ${name} needs password=, or salt= and saltedpassword=`)
  }
  const salted = base64(saltedPassword, 'saltedpassword')
  if (salted.length !== m.keyLength) {
    throw new Error(`--add-scram ${m.name} for ${name}: saltedpassword must be ${m.keyLength} bytes`)
  }
  return {
    user: name,
    mechanism: m.name,
    credential: credentialFromSaltedPassword(m, base64(salt, 'salt'), salted, iterations)
  }
}

function base64(value: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw new Error(`--add-scram: ${what} must be base64`)
  return Buffer.from(value, 'base64')
}

/** key=value pairs separated by ',', where a value in double quotes may hold ',' and ']'. */
function splitFields(body: string): Map<string, string> {
  const fields = new Map<string, string>()
  let i = 0
  while (i < body.length) {
    const eq = body.indexOf('=', i)
    if (eq < 0) throw new Error('--add-scram: expected key=value')
    const key = body.slice(i, eq).trim().toLowerCase()
    if (!KNOWN_KEYS.has(key)) throw new Error(`--add-scram: unknown field ${key}`)
    if (fields.has(key)) throw new Error(`--add-scram: ${key} given twice`)
    let value: string
    if (body[eq + 1] === '"') {
      const close = body.indexOf('"', eq + 2)
      if (close < 0) throw new Error(`--add-scram: unterminated quote in ${key}`)
      value = body.slice(eq + 2, close)
      i = close + 1
      if (i < body.length && body[i] !== ',') throw new Error(`--add-scram: expected ',' after ${key}`)
    } else {
      const comma = body.indexOf(',', eq + 1)
      const end = comma < 0 ? body.length : comma
      value = body.slice(eq + 1, end)
      i = end
    }
    fields.set(key, value)
    i++ // past the ','
  }
  return fields
}
