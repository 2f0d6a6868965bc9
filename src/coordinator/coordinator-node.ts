/**
 * Where a coordinator lives: the broker leading the key's `__consumer_offsets` or `__transaction_state`
 * partition. FindCoordinator answers it; the coordinators' runtime computes it from the metadata.
 */

export interface CoordinatorNode {
  readonly nodeId: number
  readonly host: string
  readonly port: number
}

/** FindCoordinator key types. */
export const GROUP_KEY_TYPE = 0
export const TRANSACTION_KEY_TYPE = 1

/** The node coordinating the key, or an error code (e.g. COORDINATOR_NOT_AVAILABLE while unelected). */
export type CoordinatorLookup = (keyType: number, key: string) => CoordinatorNode | number
