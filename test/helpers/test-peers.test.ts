import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MissingTestPeerError, requirePeer, underCi } from './test-peers.js'

describe('requirePeer', () => {
  const install = 'sudo bash scripts/install-etcd.sh'

  it('returns false for an available peer, under CI or not', () => {
    assert.equal(requirePeer('etcd', true, install, undefined, {}), false)
    assert.equal(requirePeer('etcd', true, install, undefined, { CI: 'true' }), false)
  })

  it('outside CI returns a skip reason naming the peer, why, and how to install it', () => {
    const reason = requirePeer('etcd', false, install, 'install-etcd.sh failed: not root', {})
    assert.equal(typeof reason, 'string')
    assert.match(reason as string, /test peer etcd is missing/)
    assert.match(reason as string, /install-etcd\.sh failed: not root/)
    assert.match(reason as string, /install it with: sudo bash scripts\/install-etcd\.sh/)
    // CI=false, an empty CI and no CI at all are all "not CI".
    assert.equal(
      requirePeer('etcd', false, install, undefined, { CI: 'false' }),
      'test peer etcd is missing; install it with: sudo bash scripts/install-etcd.sh'
    )
    assert.equal(typeof requirePeer('etcd', false, install, undefined, { CI: '' }), 'string')
  })

  it('under CI=true throws, naming the peer and how to install it, instead of skipping', () => {
    assert.throws(
      () => requirePeer('kcat', false, 'apt-get install kcat', 'not on PATH', { CI: 'true' }),
      (err: unknown) => {
        assert.ok(err instanceof MissingTestPeerError)
        assert.match(err.message, /CI=true forbids skipping/)
        assert.match(err.message, /test peer kcat is missing \(not on PATH\)/)
        assert.match(err.message, /apt-get install kcat/)
        return true
      }
    )
    assert.throws(() => requirePeer('etcd', false, install, undefined, { CI: '1' }), MissingTestPeerError)
  })

  it('reads CI from the process environment by default', () => {
    assert.equal(underCi(), underCi(process.env))
    assert.equal(underCi({ CI: 'TRUE' }), true)
    assert.equal(underCi({ CI: 'no' }), false)
    assert.equal(underCi({}), false)
  })
})
