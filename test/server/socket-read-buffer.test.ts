import assert from 'node:assert/strict'
import { once } from 'node:events'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import { readIntoSharedBuffer } from '../../src/server/socket-read-buffer.js'

/** A loopback server whose accepted socket reads into `shared`; resolves the accepted socket and its chunks. */
async function serve(shared: Buffer) {
  const chunks: Buffer[] = []
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = new Promise<{ socket: Socket; installed: boolean }>((resolve) =>
    server.once('connection', (socket: Socket) => {
      const installed = readIntoSharedBuffer(socket, shared, (c) => {
        assert.equal(c.buffer, shared.buffer, 'the chunk is a view into the shared buffer')
        chunks.push(Buffer.from(c))
      })
      socket.on('data', () => assert.fail("no 'data' event once the shared buffer is in place"))
      socket.resume()
      resolve({ socket, installed })
    })
  )
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await once(client, 'connect')
  return { server, client, chunks, ...(await accepted) }
}

describe('readIntoSharedBuffer', () => {
  it('delivers every byte through the shared buffer, and the end of the stream', async () => {
    const shared = Buffer.alloc(4096)
    const { server, client, chunks, socket, installed } = await serve(shared)
    assert.equal(installed, true, 'Node 20 sockets carry the onread fields')
    const sent = Buffer.alloc(1_000_000)
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff
    client.end(sent)
    await once(socket, 'end')
    const got = Buffer.concat(chunks)
    assert.equal(got.length, sent.length)
    assert.ok(got.equals(sent))
    assert.ok(chunks.every((c) => c.length <= shared.length))
    socket.destroy()
    server.close()
  })

  it('pause() stops the reads and resume() carries on', async () => {
    const shared = Buffer.alloc(1024)
    const { server, client, chunks, socket } = await serve(shared)
    client.write(Buffer.alloc(100, 1))
    while (chunks.length === 0) await new Promise((r) => setTimeout(r, 5))
    socket.pause()
    client.write(Buffer.alloc(100, 2))
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(Buffer.concat(chunks).length, 100, 'nothing is read while paused')
    socket.resume()
    client.end()
    await once(socket, 'end')
    assert.deepEqual(Buffer.concat(chunks), Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(100, 2)]))
    socket.destroy()
    server.close()
  })
})
