import { crc32c as nativeCrc32c } from '@node-rs/crc32'

/**
 * CRC-32C (Castagnoli), the checksum of v2 record batches. Backed by a native SSE4.2/ARM implementation;
 * it reads the bytes in place, so checksumming a view allocates nothing. `initial` continues an earlier
 * result, so crc32c(b, crc32c(a)) equals the CRC of a followed by b.
 */
export function crc32c(data: Uint8Array, initial = 0): number {
  return nativeCrc32c(data, initial) >>> 0
}
