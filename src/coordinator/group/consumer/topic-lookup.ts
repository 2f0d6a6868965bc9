/** What consumer groups need from cluster metadata: topic ids, names and partition counts. */

export interface TopicLookup {
  byName(name: string): { topicId: string; numPartitions: number } | undefined
  nameOf(topicId: string): string | undefined
  names(): Iterable<string>
}

/** No topics at all: for coordinators built without cluster metadata (unit tests of other parts). */
export const NO_TOPICS: TopicLookup = {
  byName: () => undefined,
  nameOf: () => undefined,
  names: () => []
}
