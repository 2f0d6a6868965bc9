import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  hasCollisionChars,
  topicNameError,
  topicNamesCollide,
  unifyCollisionChars
} from '../../src/cluster/topic-name.js'

test('legal topic names', () => {
  for (const name of ['a', 'orders', 'Orders.v1', 'a_b-c.d', '__consumer_offsets', '...a', 'x'.repeat(249)]) {
    assert.equal(topicNameError(name), null, name)
  }
})

test('illegal topic names', () => {
  for (const name of ['', '.', '..', '...', 'x'.repeat(250), 'a b', 'a/b', 'ü', 'a:b', 'a\u0000']) {
    assert.notEqual(topicNameError(name), null, JSON.stringify(name))
  }
})

test("'.' and '_' collide", () => {
  assert.ok(hasCollisionChars('a.b') && hasCollisionChars('a_b') && !hasCollisionChars('a-b'))
  assert.equal(unifyCollisionChars('a.b_c'), 'a_b_c')
  assert.ok(topicNamesCollide('metrics.cpu', 'metrics_cpu'))
  assert.ok(!topicNamesCollide('metrics-cpu', 'metrics_cpu'))
})
