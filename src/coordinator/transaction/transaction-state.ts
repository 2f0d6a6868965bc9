/**
 * The states of a transactional id, with the ids Kafka persists in `__transaction_state` (TransactionState)
 * and the names DescribeTransactions / ListTransactions report.
 */

export type TransactionState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence'

const IDS: readonly TransactionState[] = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence'
]

export function transactionStateId(state: TransactionState): number {
  return IDS.indexOf(state)
}

export function transactionStateFromId(id: number): TransactionState {
  const s = IDS[id]
  if (s === undefined) throw new RangeError(`unknown transaction state id ${id}`)
  return s
}

/** The state names ListTransactions accepts as filters (Kafka's TransactionState.stateName). */
export function isTransactionStateName(name: string): name is TransactionState {
  return (IDS as readonly string[]).includes(name)
}

/** From which states each state may be entered: Kafka's TransactionState.validPreviousStates. */
const VALID_PREVIOUS: Record<TransactionState, readonly TransactionState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing']
}

export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS[to].includes(from)
}

/** States in which the transactional id may expire or a new transaction may start. */
export function isCompleteOrEmpty(state: TransactionState): boolean {
  return state === 'Empty' || state === 'CompleteCommit' || state === 'CompleteAbort'
}
