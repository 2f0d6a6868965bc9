/**
 * Parser for Java's `.properties` format (java.util.Properties#load), which is what server.properties uses:
 * `#`/`!` comments, `=`/`:`/whitespace separators, backslash line continuation and escapes.
 * Later duplicates win, as in Java.
 */

import { ConfigError } from './config-error.js'

export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>()
  for (const line of logicalLines(text)) {
    const [key, value] = splitKeyValue(line)
    result.set(key, value)
  }
  return result
}

/** Joins continuation lines and drops blank and comment lines; the escapes are left for splitKeyValue. */
function* logicalLines(text: string): Generator<string> {
  const natural = text.split(/\r\n|\r|\n/)
  let pending: string | null = null
  for (const raw of natural) {
    // Leading whitespace of a continuation line is not part of the value.
    const line = raw.replace(/^[ \t\f]+/, '')
    if (pending === null) {
      if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
      pending = ''
    }
    if (endsWithOddBackslashes(line)) {
      pending += line.slice(0, -1)
      continue
    }
    yield pending + line
    pending = null
  }
  if (pending !== null && pending !== '') yield pending
}

function endsWithOddBackslashes(line: string): boolean {
  let n = 0
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++
  return n % 2 === 1
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\f'
}

function splitKeyValue(line: string): [string, string] {
  let i = 0
  let keyEnd = line.length
  let valueStart = line.length
  while (i < line.length) {
    const c = line[i]
    if (c === '\\') {
      i += 2
      continue
    }
    if (c === '=' || c === ':') {
      keyEnd = i
      valueStart = i + 1
      break
    }
    if (isSpace(c)) {
      keyEnd = i
      let j = i
      while (isSpace(line[j])) j++
      // A single '=' or ':' may follow the whitespace after the key.
      if (line[j] === '=' || line[j] === ':') j++
      valueStart = j
      break
    }
    i++
  }
  while (isSpace(line[valueStart])) valueStart++
  return [unescapeProperty(line.slice(0, keyEnd)), unescapeProperty(line.slice(valueStart))]
}

function unescapeProperty(s: string): string {
  if (!s.includes('\\')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c !== '\\') {
      out += c
      continue
    }
    const next = s[++i]
    switch (next) {
      case 't':
        out += '\t'
        break
      case 'n':
        out += '\n'
        break
      case 'r':
        out += '\r'
        break
      case 'f':
        out += '\f'
        break
      case 'u': {
        const hex = s.slice(i + 1, i + 5)
        if (!/^[0-9a-fA-F]{4}$/.test(hex))
          throw new ConfigError(`Malformed \\uxxxx encoding in properties: \\u${hex}`)
        out += String.fromCharCode(Number.parseInt(hex, 16))
        i += 4
        break
      }
      case undefined:
        break
      default:
        out += next
    }
  }
  return out
}
