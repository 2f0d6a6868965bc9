/**
 * `ssl.principal.mapping.rules` (KIP-371): maps a client certificate's distinguished name to a user name.
 * Rules are tried in order; `RULE:pattern/replacement/[L|U]` applies when the pattern matches the whole DN and
 * yields the replacement (`$1` refers to groups), lower- or upper-cased with L or U; `DEFAULT` yields the DN
 * unchanged. A pattern may contain commas and `\/`; rules are separated by commas.
 */

import { ConfigError } from '../../config/config-error.js'

type Rule =
  | { readonly kind: 'default' }
  | {
      readonly kind: 'rule'
      readonly whole: RegExp
      readonly global: RegExp
      readonly replacement: string
      readonly caseFlag: '' | 'L' | 'U'
    }

/** Thrown when no rule applies to a DN; Kafka then refuses the connection. */
export class NoMatchingRuleError extends Error {
  override readonly name = 'NoMatchingRuleError'
}

const KEY = 'ssl.principal.mapping.rules'
const RULE = /^\s*(?:(DEFAULT)|RULE:((?:[^/\\]|\\.)*)\/((?:[^/\\]|\\.)*)\/([LU]?))\s*(?:,|$)/

export class SslPrincipalMapper {
  private constructor(private readonly rules: readonly Rule[]) {}

  static fromRules(text: string, key = KEY): SslPrincipalMapper {
    const rules: Rule[] = []
    let rest = text.trim()
    while (rest !== '') {
      const m = RULE.exec(rest)
      if (!m)
        throw ConfigError.invalidValue(key, text, `${rest} is not DEFAULT or RULE:pattern/replacement/[LU]`)
      if (m[1]) rules.push({ kind: 'default' })
      else {
        // `\/` in a pattern stands for a slash; JavaScript's RegExp accepts `\/` as such already.
        const pattern = m[2]!
        let whole: RegExp
        let global: RegExp
        try {
          whole = new RegExp(`^(?:${pattern})$`)
          global = new RegExp(pattern, 'g')
        } catch (err) {
          throw ConfigError.invalidValue(key, text, `invalid pattern ${pattern}: ${(err as Error).message}`)
        }
        const replacement = m[3]!.replace(/\\\//g, '/')
        rules.push({ kind: 'rule', whole, global, replacement, caseFlag: (m[4] ?? '') as '' | 'L' | 'U' })
      }
      rest = rest.slice(m[0].length).trim()
    }
    if (rules.length === 0) rules.push({ kind: 'default' })
    return new SslPrincipalMapper(rules)
  }

  /** The user name for `dn`; throws NoMatchingRuleError when no rule applies. */
  getName(dn: string): string {
    for (const rule of this.rules) {
      if (rule.kind === 'default') return dn
      if (!rule.whole.test(dn)) continue
      const name = dn.replace(rule.global, rule.replacement)
      if (rule.caseFlag === 'L') return name.toLowerCase()
      if (rule.caseFlag === 'U') return name.toUpperCase()
      return name
    }
    throw new NoMatchingRuleError(`No rules apply to ${dn}, rules ${this.rules.length}`)
  }
}
