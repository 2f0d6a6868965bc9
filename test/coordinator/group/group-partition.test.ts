import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { javaStringHashCode, partitionFor } from '../../../src/coordinator/group/group-partition.js'

describe('group partition', () => {
  it("matches Java's String.hashCode, overflow and UTF-16 included", () => {
    assert.equal(javaStringHashCode(''), 0)
    assert.equal(javaStringHashCode('a'), 97)
    assert.equal(javaStringHashCode('hello'), 99162322)
    assert.equal(javaStringHashCode('console-consumer-12345'), 158455506)
    assert.equal(javaStringHashCode('abcdefghij'), -634317659)
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648)
    assert.equal(javaStringHashCode('\u{1F600}'), 1772899)
  })

  it('maps Integer.MIN_VALUE to partition 0 as Utils.abs does, and negatives by absolute value', () => {
    assert.equal(partitionFor('polygenelubricants', 50), 0)
    assert.equal(partitionFor('abcdefghij', 50), 634317659 % 50)
    assert.equal(partitionFor('a', 50), 47)
  })
})
