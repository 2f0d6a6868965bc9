/** The key of a partition in the replica manager's maps and purgatories. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`
}
