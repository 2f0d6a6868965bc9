import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomically } from '../common/atomic-file.js'
import { isValidUuid, randomUuid } from './kafka-uuid.js'

/**
 * Kafka's meta.properties: the identity stamp in each log directory (KRaft format, version=1: cluster.id,
 * node.id, directory.id). It stops a broker from mixing up data of another node or another cluster, e.g. a
 * disk moved between machines or a log.dirs typo pointing at someone else's data.
 */
export const META_PROPERTIES_FILE = 'meta.properties'

export interface MetaProperties {
  readonly version: number
  readonly clusterId: string
  readonly nodeId: number
  readonly directoryId?: string
}

/** Kafka's InconsistentClusterIdException: the data belongs to another cluster. */
export class InconsistentClusterIdError extends Error {
  override readonly name = 'InconsistentClusterIdError'
}

/** The data belongs to another node of the cluster (Kafka fails startup the same way). */
export class InconsistentNodeIdError extends Error {
  override readonly name = 'InconsistentNodeIdError'
}

export class InvalidMetaPropertiesError extends Error {
  override readonly name = 'InvalidMetaPropertiesError'
}

/** Java .properties, the subset Kafka writes: key=value (or key:value) lines, '#'/'!' comments. */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const sep = line.search(/[=:]/)
    if (sep < 0) props.set(line, '')
    else props.set(line.slice(0, sep).trim(), line.slice(sep + 1).trim())
  }
  return props
}

export function formatMetaProperties(meta: MetaProperties): string {
  const lines = ['#', `#${new Date().toUTCString()}`, `node.id=${meta.nodeId}`]
  if (meta.directoryId !== undefined) lines.push(`directory.id=${meta.directoryId}`)
  lines.push(`version=${meta.version}`, `cluster.id=${meta.clusterId}`, '')
  return lines.join('\n')
}

export function parseMetaProperties(text: string, path: string): MetaProperties {
  const props = parseProperties(text)
  const version = Number(props.get('version'))
  if (version !== 1) {
    throw new InvalidMetaPropertiesError(
      `Unsupported version '${props.get('version') ?? ''}' in ${path}: only KRaft meta.properties (version=1) is supported`
    )
  }
  const clusterId = props.get('cluster.id')
  if (!clusterId) throw new InvalidMetaPropertiesError(`cluster.id was not specified in ${path}`)
  const nodeIdText = props.get('node.id')
  const nodeId = Number(nodeIdText)
  if (!nodeIdText || !Number.isInteger(nodeId) || nodeId < 0) {
    throw new InvalidMetaPropertiesError(`node.id was not specified or is invalid in ${path}`)
  }
  const directoryId = props.get('directory.id')
  return directoryId === undefined
    ? { version, clusterId, nodeId }
    : { version, clusterId, nodeId, directoryId }
}

export async function readMetaProperties(logDir: string): Promise<MetaProperties | null> {
  const path = join(logDir, META_PROPERTIES_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  return parseMetaProperties(text, path)
}

/**
 * Checks every log directory's meta.properties against this node and writes the missing ones. The cluster
 * id is the configured one, else the one already stored, else a fresh random id (first start). Throws
 * before anything is written when a directory belongs to another cluster or another node.
 */
export async function ensureMetaProperties(
  logDirs: readonly string[],
  nodeId: number,
  configuredClusterId?: string
): Promise<string> {
  if (logDirs.length === 0) throw new RangeError('at least one log directory is required')
  if (configuredClusterId !== undefined && !isValidUuid(configuredClusterId)) {
    throw new InvalidMetaPropertiesError(
      `Configured cluster id '${configuredClusterId}' is not a base64url-encoded 16-byte uuid`
    )
  }
  const found = await Promise.all(
    logDirs.map(async (dir) => {
      await mkdir(dir, { recursive: true })
      return { dir, meta: await readMetaProperties(dir) }
    })
  )
  let clusterId = configuredClusterId
  let clusterIdSource = 'the configuration'
  for (const { dir, meta } of found) {
    if (meta === null) continue
    const path = join(dir, META_PROPERTIES_FILE)
    if (clusterId === undefined) {
      clusterId = meta.clusterId
      clusterIdSource = path
    } else if (meta.clusterId !== clusterId) {
      throw new InconsistentClusterIdError(
        `The cluster id ${meta.clusterId} stored in ${path} doesn't match the cluster id ${clusterId} of ` +
          `${clusterIdSource}. This broker's data belongs to another cluster: check log.dirs, or remove the ` +
          'directory if its data is not needed.'
      )
    }
    if (meta.nodeId !== nodeId) {
      throw new InconsistentNodeIdError(
        `Stored node.id ${meta.nodeId} in ${path} doesn't match the configured node.id ${nodeId}. If the ` +
          'data was moved, configure the node id it was written with; for a new node, remove the data in ' +
          'its log directories.'
      )
    }
  }
  const id = clusterId ?? randomUuid()
  await Promise.all(
    found
      .filter(({ meta }) => meta === null)
      .map(({ dir }) =>
        writeFileAtomically(
          join(dir, META_PROPERTIES_FILE),
          formatMetaProperties({ version: 1, clusterId: id, nodeId, directoryId: randomUuid() })
        )
      )
  )
  return id
}
