// Turns captured client→broker frames into fixture files: one per (API, version, scenario suffix).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Maps apiKey → API name (e.g. 18 → 'ApiVersions') from Kafka's request schemas. */
export function loadApiNames(schemaDir) {
  const names = new Map()
  for (const file of readdirSync(schemaDir)) {
    if (!file.endsWith('Request.json')) continue
    // The schemas carry // licence and field comments, which JSON.parse rejects.
    const text = readFileSync(join(schemaDir, file), 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('//'))
      .join('\n')
    const schema = JSON.parse(text)
    if (schema.type === 'request') names.set(schema.apiKey, schema.name.replace(/Request$/, ''))
  }
  return names
}

export function kebabCase(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}

/**
 * Reads the fields every request header version from 1 up shares. Header v0 (no client id) is only
 * used by ControlledShutdown v0, which no client sends.
 */
export function peekRequestHeader(frame) {
  const apiKey = frame.readInt16BE(4)
  const apiVersion = frame.readInt16BE(6)
  const correlationId = frame.readInt32BE(8)
  const clientIdLength = frame.readInt16BE(12)
  const clientId = clientIdLength < 0 ? null : frame.toString('utf8', 14, 14 + clientIdLength)
  return { apiKey, apiVersion, correlationId, clientId }
}

/**
 * Picks the first frame of each (API, version) per client. A scenario with a `suffix` (e.g. gzip)
 * contributes only the APIs it lists in `only`, saved under `<api>-v<n>-<suffix>.json`.
 */
export function selectFixtures(frames, scenariosByClientId, apiNames) {
  const chosen = new Map()
  for (const frame of frames) {
    const header = peekRequestHeader(frame)
    const scenario = scenariosByClientId.get(header.clientId)
    if (!scenario) continue
    const apiName = apiNames.get(header.apiKey) ?? `Api${header.apiKey}`
    if (scenario.only && !scenario.only.includes(apiName)) continue
    const suffix = scenario.suffix ? `-${scenario.suffix}` : ''
    const file = join(scenario.client, `${kebabCase(apiName)}-v${header.apiVersion}${suffix}.json`)
    if (chosen.has(file)) continue
    chosen.set(file, {
      client: scenario.client,
      clientVersion: scenario.clientVersion,
      apiKey: header.apiKey,
      apiName,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      frameHex: frame.toString('hex')
    })
  }
  return chosen
}
