/**
 * Replica state of the partitions this broker hosts (Kafka's ReplicaManager gauges), the controller's
 * offline count, and followers' lag as their leader sees it.
 */

import type { Registry } from 'prom-client'
import type { PartitionRegistration } from '../../cluster/metadata-store.js'
import type { Partition } from '../../replica/partition.js'
import type { AdminSources } from '../admin-sources.js'
import { registerCollected, type Sample } from './collected-metric.js'

/** Replicas the partition should have: a reassignment's joining replicas do not count until they finish. */
export function targetReplicas(p: PartitionRegistration): number {
  return p.replicas.length - (p.addingReplicas?.length ?? 0)
}

export function isUnderReplicated(p: Partition): boolean {
  return p.isLeader && p.registration.isr.length < targetReplicas(p.registration)
}

export function isUnderMinIsr(p: Partition): boolean {
  return p.isLeader && p.registration.isr.length < p.log.config.minInsyncReplicas
}

export function registerPartitionMetrics(registry: Registry, sources: AdminSources): void {
  const count = (name: string, help: string, test: (p: Partition) => boolean) =>
    registerCollected(registry, name, help, 'gauge', () => {
      const rm = sources.replicaManager()
      if (rm === undefined) return []
      let n = 0
      for (const p of rm.allPartitions()) if (test(p)) n++
      return [{ value: n }]
    })
  count('samsa_partitions', 'Partition replicas on this broker', () => true)
  count('samsa_leader_partitions', 'Partitions this broker leads', (p) => p.isLeader)
  count(
    'samsa_partitions_under_replicated',
    'Partitions led here whose ISR is short of the replicas',
    isUnderReplicated
  )
  count(
    'samsa_partitions_under_min_isr',
    'Partitions led here whose ISR is below min.insync.replicas',
    isUnderMinIsr
  )
  registerCollected(
    registry,
    'samsa_partitions_offline',
    'Partitions without a leader, reported by the active controller (0 on other brokers)',
    'gauge',
    () => {
      const cache = sources.metadataCache()
      if (cache === undefined || !sources.isActiveController()) return [{ value: 0 }]
      let n = 0
      for (const t of cache.topics()) for (const p of t.partitions) if (p.leader < 0) n++
      return [{ value: n }]
    }
  )
  registerCollected(
    registry,
    'samsa_controller_active',
    '1 on the active controller, else 0',
    'gauge',
    () => [{ value: sources.isActiveController() ? 1 : 0 }]
  )
  registerCollected(
    registry,
    'samsa_follower_lag_records',
    'Records a follower lacks, as its leader (this broker) last saw its fetch position',
    'gauge',
    () => {
      const rm = sources.replicaManager()
      if (rm === undefined) return []
      const samples: Sample[] = []
      for (const p of rm.allPartitions()) {
        if (!p.isLeader) continue
        for (const replica of p.registration.replicas) {
          if (replica === p.localBrokerId) continue
          const followerEnd = p.followerLogEndOffset(replica)
          const lag = followerEnd < 0 ? p.logEndOffset : Math.max(0, p.logEndOffset - followerEnd)
          samples.push({ labels: { topic: p.topic, partition: p.partitionIndex, replica }, value: lag })
        }
      }
      return samples
    }
  )
  registerCollected(
    registry,
    'samsa_follower_lag_bytes',
    "Bytes of the leader's log after a follower's last fetch position (where that position is a known batch boundary)",
    'gauge',
    () => {
      const rm = sources.replicaManager()
      if (rm === undefined) return []
      const samples: Sample[] = []
      for (const p of rm.allPartitions()) {
        if (!p.isLeader) continue
        for (const replica of p.registration.replicas) {
          if (replica === p.localBrokerId) continue
          const followerEnd = p.followerLogEndOffset(replica)
          const bytes = followerEnd < 0 ? p.logSize : p.log.bytesAfter(followerEnd)
          if (bytes === undefined) continue
          samples.push({ labels: { topic: p.topic, partition: p.partitionIndex, replica }, value: bytes })
        }
      }
      return samples
    }
  )
}
