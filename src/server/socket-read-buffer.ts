/**
 * Makes an accepted socket read into one caller-owned buffer instead of a fresh allocation per read.
 *
 * Why: by default every socket read allocates a new 64 KiB backing store. At produce rates of 100 MB/s that
 * is thousands of allocations a second, each with page faults, and their external memory is what drives
 * V8's major GCs (the profiles of `npm run bench` showed a fifth of the broker's CPU there). Node offers
 * reads into a caller's buffer (net.Socket's `onread` option) only to sockets it creates itself, not to the
 * ones a server accepts, so this sets the same fields `onread` sets, found by their symbol descriptions.
 * It returns false, and the caller keeps the 'data' event, on a Node whose sockets lack them.
 *
 * The chunk handed to `onChunk` is a view into `buffer` and is valid only during the call: the next read
 * overwrites it. One buffer may serve every socket of the event loop, since each read is delivered before
 * the next one starts. The socket must not have started reading (a server with `pauseOnConnect`); reading
 * starts with `socket.resume()`, and pause()/resume() keep working.
 */

import type { Socket } from 'node:net'

interface UserBufferHandle {
  useUserBuffer?: (buffer: Uint8Array) => void
}

export function readIntoSharedBuffer(
  socket: Socket,
  buffer: Buffer,
  onChunk: (chunk: Buffer) => void
): boolean {
  const symbols = Object.getOwnPropertySymbols(socket)
  const find = (description: string) => symbols.find((s) => s.description === description)
  const kBuffer = find('kBuffer')
  const kBufferCb = find('kBufferCb')
  const kBufferGen = find('kBufferGen')
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle
  if (!kBuffer || !kBufferCb || !kBufferGen || typeof handle?.useUserBuffer !== 'function') return false
  handle.useUserBuffer(buffer)
  const fields = socket as unknown as Record<symbol, unknown>
  fields[kBuffer] = buffer
  fields[kBufferGen] = null
  fields[kBufferCb] = (nread: number, into: Buffer): boolean => {
    onChunk(into.subarray(0, nread))
    // Flow control stays with socket.pause(), which stops the handle's reads itself.
    return true
  }
  return true
}
