/** The server-side assignors a broker offers (group.consumer.assignors); the first is the default. */

import type { PartitionAssignor } from './partition-assignor.js'
import { RangeAssignor } from './range-assignor.js'
import { UniformAssignor } from './uniform-assignor.js'

export const SERVER_ASSIGNORS: readonly PartitionAssignor[] = [new UniformAssignor(), new RangeAssignor()]

export function assignorNamed(name: string): PartitionAssignor | undefined {
  return SERVER_ASSIGNORS.find((a) => a.name === name)
}

export const DEFAULT_ASSIGNOR: PartitionAssignor = SERVER_ASSIGNORS[0] as PartitionAssignor
