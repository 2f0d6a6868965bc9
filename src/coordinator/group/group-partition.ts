/**
 * Which `__consumer_offsets` partition owns a group. Must match Kafka bit for bit, because clients and other
 * brokers locate the coordinator with the same formula: abs(groupId.hashCode()) % partitionCount.
 */

/** Java's String.hashCode: 31-polynomial over UTF-16 code units with 32-bit wrap-around. */
export function javaStringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 instead of overflowing. */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n)
}

export function partitionFor(groupId: string, partitionCount: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount
}
