/**
 * DescribeLogDirs (key 35): per log dir, the partitions it holds and their sizes; from v4 the dir's total
 * and usable bytes. A cluster of one has no replica movement between dirs: offsetLag 0, no future logs.
 */

import { statfs } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ErrorCode } from '../../protocol/error-codes.js'
import {
  DescribeLogDirsApi,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  type DescribeLogDirsResponseDescribeLogDirsResult
} from '../../protocol/messages/describe-log-dirs.js'
import type { Partition } from '../../replica/partition.js'
import { AclOperation } from '../../security/authorizer/acl-types.js'
import type { ApiHandler } from '../api-registry.js'
import type { RequestContext } from '../request-context.js'
import type { HandlerDeps } from './handler-deps.js'

export function createDescribeLogDirsHandler(
  deps: HandlerDeps
): ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> {
  /** The local partitions asked for (all when `topics` is null); unknown ones are left out, as in Kafka. */
  async function localPartitions(request: DescribeLogDirsRequest): Promise<Partition[]> {
    const cache = deps.metadataCache
    const wanted: [string, number][] = []
    if (request.topics === null) {
      for (const t of cache.topics()) for (const p of t.partitions) wanted.push([t.name, p.partitionIndex])
    } else {
      for (const t of request.topics) for (const p of t.partitions) wanted.push([t.topic, p])
    }
    const found = await Promise.all(
      wanted.map(([topic, p]) => deps.replicaManager.getPartition(topic, p).catch(() => undefined))
    )
    return found.filter((p): p is Partition => p !== undefined)
  }

  async function describeDir(
    logDir: string,
    partitions: readonly Partition[],
    withSpace: boolean
  ): Promise<DescribeLogDirsResponseDescribeLogDirsResult> {
    const path = resolve(logDir)
    const byTopic = new Map<string, Partition[]>()
    for (const p of partitions) {
      if (resolve(p.logDir) !== path) continue
      const list = byTopic.get(p.topic) ?? []
      list.push(p)
      byTopic.set(p.topic, list)
    }
    const topics = [...byTopic].map(([name, list]) => ({
      name,
      partitions: list.map((p) => ({
        partitionIndex: p.partitionIndex,
        partitionSize: BigInt(p.logSize),
        offsetLag: 0n,
        isFutureKey: false
      }))
    }))
    let totalBytes = -1n
    let usableBytes = -1n
    if (withSpace) {
      try {
        const s = await statfs(path, { bigint: true })
        totalBytes = s.blocks * s.bsize
        usableBytes = s.bavail * s.bsize
      } catch {
        return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: path, topics: [], totalBytes, usableBytes }
      }
    }
    return { errorCode: ErrorCode.NONE, logDir: path, topics, totalBytes, usableBytes }
  }

  return {
    api: DescribeLogDirsApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(request: DescribeLogDirsRequest, ctx: RequestContext): Promise<DescribeLogDirsResponse> {
      if (!ctx.authorizeCluster(AclOperation.DESCRIBE))
        return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] }
      const partitions = await localPartitions(request)
      const results = await Promise.all(
        deps.config.logDirs.map((dir) => describeDir(dir, partitions, ctx.apiVersion >= 4))
      )
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results }
    }
  }
}
