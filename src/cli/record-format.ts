/**
 * How `samsa consume` prints a record: an rpk-style template (`-f '%k %v\n'`) or one JSON/YAML document per
 * record. Template verbs: %t topic, %p partition, %o offset, %d timestamp (ms), %k key, %K key length, %v value,
 * %V value length, %h headers (k=v,...), %H header count, %% a percent sign; escapes \n \r \t \\.
 */

import { stringify as toYaml } from 'yaml'

export interface ConsumedRecord {
  topic: string
  partition: number
  offset: bigint
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  headers: [string, string][]
}

export function unescapeTemplate(template: string): string {
  return template.replace(
    /\\([nrt\\])/g,
    (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[c] ?? c
  )
}

export function renderTemplate(template: string, r: ConsumedRecord): string {
  return template.replace(/%([tpodkKvVhH%])/g, (_, verb: string) => {
    switch (verb) {
      case 't':
        return r.topic
      case 'p':
        return String(r.partition)
      case 'o':
        return String(r.offset)
      case 'd':
        return String(r.timestamp)
      case 'k':
        return r.key?.toString('utf8') ?? ''
      case 'K':
        return String(r.key?.length ?? 0)
      case 'v':
        return r.value?.toString('utf8') ?? ''
      case 'V':
        return String(r.value?.length ?? 0)
      case 'h':
        return r.headers.map(([k, v]) => `${k}=${v}`).join(',')
      case 'H':
        return String(r.headers.length)
      default:
        return '%'
    }
  })
}

function asDocument(r: ConsumedRecord) {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: Number(r.offset),
    timestamp: Number(r.timestamp),
    key: r.key?.toString('utf8') ?? null,
    value: r.value?.toString('utf8') ?? null,
    headers: Object.fromEntries(r.headers)
  }
}

/** A function that renders one record, for the chosen output. */
export function recordPrinter(format: string, template: string | undefined): (r: ConsumedRecord) => string {
  if (template !== undefined) {
    const t = unescapeTemplate(template)
    return (r) => renderTemplate(t, r)
  }
  if (format === 'json') return (r) => `${JSON.stringify(asDocument(r))}\n`
  if (format === 'yaml') return (r) => `---\n${toYaml(asDocument(r))}`
  return (r) => renderTemplate('%v\n', r)
}
