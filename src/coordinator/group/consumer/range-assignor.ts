/**
 * Kafka's server-side `range` assignor: topic by topic, the subscribed members (in member id order) each get
 * a contiguous range of partitions, the first `partitions % members` of them one more. Co-partitioned
 * topics therefore land on the same members, which is why applications choose it.
 */

import type { Assignment } from './assignment.js'
import type { GroupSpec, PartitionAssignor, SubscribedTopics } from './partition-assignor.js'

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range'

  assign(group: GroupSpec, topics: SubscribedTopics): Map<string, Assignment> {
    const memberIds = [...group.members.keys()].sort()
    const out = new Map<string, Map<string, Set<number>>>()
    for (const id of memberIds) out.set(id, new Map())
    for (const [topicId, n] of topics) {
      const subscribers = memberIds.filter(
        (id) => group.members.get(id)?.subscribedTopicIds.has(topicId) === true
      )
      if (subscribers.length === 0) continue
      const quota = Math.floor(n / subscribers.length)
      const extra = n % subscribers.length
      let next = 0
      subscribers.forEach((id, i) => {
        const count = quota + (i < extra ? 1 : 0)
        if (count === 0) return
        const ps = new Set<number>()
        for (let k = 0; k < count; k++) ps.add(next++)
        out.get(id)?.set(topicId, ps)
      })
    }
    return out
  }
}
