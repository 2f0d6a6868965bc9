/** The classic group states, named as Kafka reports them in DescribeGroups and ListGroups. */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export const ALL_GROUP_STATES: readonly GroupState[] = [
  'Empty',
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead'
]

/** Legal predecessors of each state; a transition from anywhere else is a coordinator bug. */
const VALID_PREVIOUS: { readonly [S in GroupState]: readonly GroupState[] } = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead']
}

export function isValidTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS[to].includes(from)
}
