import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { parseProperties } from '../../src/config/properties-parser.js'

describe('parseProperties', () => {
  it('reads key=value, key:value and key value, skipping comments and blank lines', () => {
    const props = parseProperties(
      ['# a comment', '! another', '', '  a=1', 'b: 2', 'c   3', 'd\t=\t4', 'e =', 'f'].join('\n')
    )
    assert.deepEqual(
      [...props],
      [
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
        ['d', '4'],
        ['e', ''],
        ['f', '']
      ]
    )
  })

  it('joins continuation lines and drops the leading whitespace of the continued line', () => {
    const props = parseProperties('listeners=PLAINTEXT://a:1,\\\n    PLAINTEXT2://b:2\r\nnext=x')
    assert.equal(props.get('listeners'), 'PLAINTEXT://a:1,PLAINTEXT2://b:2')
    assert.equal(props.get('next'), 'x')
  })

  it('treats an even number of trailing backslashes as an escaped backslash, not a continuation', () => {
    const props = parseProperties('path=C:\\\\dir\\\\\nother=1')
    assert.equal(props.get('path'), 'C:\\dir\\')
    assert.equal(props.get('other'), '1')
  })

  it('does not continue a comment line', () => {
    const props = parseProperties('# comment \\\nkey=value')
    assert.equal(props.get('key'), 'value')
  })

  it('decodes escapes in keys and values', () => {
    const props = parseProperties('my\\ key\\=x=tab\\there\\u0041\\n\\:')
    assert.equal(props.get('my key=x'), 'tab\there' + 'A\n:')
  })

  it('lets a later duplicate win', () => {
    assert.equal(parseProperties('a=1\na=2').get('a'), '2')
  })

  it('rejects a malformed unicode escape', () => {
    assert.throws(() => parseProperties('a=\\u12'), ConfigError)
  })
})
