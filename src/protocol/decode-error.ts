/**
 * Thrown by the codec when bytes do not form a valid message. Decoding never allocates more than the
 * bytes it was given: every length is checked against what remains before anything is read.
 */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError'
}

/** Thrown when a request names an API key or version that this codec does not know. */
export class UnsupportedApiVersionError extends Error {
  override readonly name = 'UnsupportedApiVersionError'
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number
  ) {
    super(`unsupported api key ${apiKey} version ${apiVersion}`)
  }
}
