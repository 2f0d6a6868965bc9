/**
 * Parses a `sasl.jaas.config` value as Kafka's JaasConfig reads it: exactly one login module entry,
 * `<LoginModuleClass> <required|requisite|sufficient|optional> key=value ... ;`, values bare words or double-
 * quoted strings (with backslash escapes). Errors name the key but never echo the value: it holds passwords.
 */

import { ConfigError } from '../config/config-error.js'

export type ControlFlag = 'required' | 'requisite' | 'sufficient' | 'optional'

export interface JaasLoginModule {
  readonly loginModule: string
  readonly controlFlag: ControlFlag
  readonly options: ReadonlyMap<string, string>
}

const FLAGS: readonly string[] = ['required', 'requisite', 'sufficient', 'optional']

type Token = { kind: 'word' | 'quoted'; text: string } | { kind: 'symbol'; text: '=' | ';' }

function tokenize(text: string, fail: (reason: string) => ConfigError): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '=' || c === ';') {
      tokens.push({ kind: 'symbol', text: c })
      i++
    } else if (c === '"') {
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) throw fail('a quoted value is not terminated')
        const q = text[i]!
        if (q === '"') break
        if (q === '\\' && i + 1 < text.length) {
          value += text[i + 1]
          i += 2
          continue
        }
        value += q
        i++
      }
      tokens.push({ kind: 'quoted', text: value })
      i++
    } else {
      let word = ''
      while (i < text.length && !/[\s=;"]/.test(text[i]!)) word += text[i++]
      tokens.push({ kind: 'word', text: word })
    }
  }
  return tokens
}

export function parseJaasConfig(key: string, text: string): JaasLoginModule {
  const fail = (reason: string) => ConfigError.invalidValue(key, '[hidden]', reason)
  const tokens = tokenize(text, fail)
  const next = () => tokens.shift()
  const moduleToken = next()
  if (moduleToken?.kind !== 'word') throw fail('must start with a login module class name')
  const flagToken = next()
  if (flagToken?.kind !== 'word' || !FLAGS.includes(flagToken.text.toLowerCase())) {
    throw fail(`the login module must be followed by a control flag, one of [${FLAGS.join(', ')}]`)
  }
  const options = new Map<string, string>()
  for (;;) {
    const t = next()
    if (t === undefined) throw fail('the login module entry must end with ";"')
    if (t.kind === 'symbol' && t.text === ';') break
    if (t.kind !== 'word') throw fail('expected an option name')
    const eq = next()
    if (eq?.kind !== 'symbol' || eq.text !== '=') throw fail(`option ${t.text} must be followed by "="`)
    const value = next()
    if (value === undefined || value.kind === 'symbol') throw fail(`option ${t.text} has no value`)
    options.set(t.text, value.text)
  }
  if (tokens.length > 0) throw fail('must contain exactly one login module')
  return {
    loginModule: moduleToken.text,
    controlFlag: flagToken.text.toLowerCase() as ControlFlag,
    options
  }
}
