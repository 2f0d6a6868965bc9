/** Builds a KafkaConfig from an optional server.properties file plus `key=value` overrides (later wins). */

import { readFile } from 'node:fs/promises'
import { ConfigError } from './config-error.js'
import { KafkaConfig } from './kafka-config.js'
import { parseProperties } from './properties-parser.js'

export function parseOverride(override: string): [string, string] {
  const eq = override.indexOf('=')
  if (eq <= 0) throw new ConfigError(`Invalid override ${override}: expected key=value`)
  return [override.slice(0, eq).trim(), override.slice(eq + 1)]
}

export async function loadKafkaConfig(
  propertiesPath: string | undefined,
  overrides: readonly string[] = []
): Promise<KafkaConfig> {
  const props = new Map<string, string>()
  if (propertiesPath !== undefined) {
    let text: string
    try {
      text = await readFile(propertiesPath, 'utf8')
    } catch (err) {
      throw new ConfigError(`Cannot read properties file ${propertiesPath}: ${(err as Error).message}`)
    }
    for (const [k, v] of parseProperties(text)) props.set(k, v)
  }
  for (const o of overrides) {
    const [k, v] = parseOverride(o)
    props.set(k, v)
  }
  return new KafkaConfig(props)
}
