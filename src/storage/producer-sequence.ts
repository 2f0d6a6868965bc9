/**
 * Producer sequence arithmetic. Sequences are non-negative int32 values that wrap from 2^31-1 back to 0,
 * so a long-lived idempotent producer never runs out of them.
 */
export const MAX_SEQUENCE = 0x7fffffff

/** The sequence `delta` places after `seq`, wrapping past MAX_SEQUENCE. */
export function incrementSequence(seq: number, delta: number): number {
  return seq > MAX_SEQUENCE - delta ? delta - (MAX_SEQUENCE - seq) - 1 : seq + delta
}

/** The sequence `delta` places before `seq`, wrapping below 0. */
export function decrementSequence(seq: number, delta: number): number {
  return seq - delta < 0 ? MAX_SEQUENCE - (delta - seq) + 1 : seq - delta
}

/** Whether `nextSeq` directly follows `lastSeq`; NO_SEQUENCE (-1) is followed by 0. */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === MAX_SEQUENCE)
}
