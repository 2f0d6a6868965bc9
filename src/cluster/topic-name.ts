/**
 * Kafka's topic name rules (clients' internals/Topic.java): ASCII alphanumerics, '.', '_' and '-', at most
 * 249 characters (so that "<name>-<partition>" plus a deletion suffix still fits a 255-byte file name),
 * and not made of periods only. '.' and '_' collide because metric names replace one with the other.
 */
export const MAX_TOPIC_NAME_LENGTH = 249

const INVALID_CHAR = /[^a-zA-Z0-9._-]/
const ONLY_PERIODS = /^\.+$/

/** Returns why the name is illegal, or null when it is a legal topic name. */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty"
  if (ONLY_PERIODS.test(name)) return 'Topic name cannot be "." or ".."'
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`
  }
  if (INVALID_CHAR.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`
  }
  return null
}

export function hasCollisionChars(name: string): boolean {
  return name.includes('.') || name.includes('_')
}

/** The name under which '.'/'_' variants collide. */
export function unifyCollisionChars(name: string): string {
  return name.replaceAll('.', '_')
}

export function topicNamesCollide(a: string, b: string): boolean {
  return unifyCollisionChars(a) === unifyCollisionChars(b)
}

/** Topics the broker itself owns; clients may not delete them and partition counts are managed by the broker. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state'])

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name)
}
