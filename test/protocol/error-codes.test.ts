import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allErrors, ErrorCode, errorCodeOf, errorInfo, KafkaError } from '../../src/protocol/error-codes.js'

test('codes and names are unique and codes are contiguous from -1 to the highest', () => {
  const all = allErrors()
  const codes = all.map((e) => e.code)
  assert.equal(new Set(codes).size, codes.length)
  assert.equal(new Set(all.map((e) => e.name)).size, all.length)
  assert.deepEqual(
    codes,
    Array.from({ length: codes.length }, (_, i) => i - 1)
  )
  assert.ok(codes.length >= 130)
  for (const e of all) {
    assert.equal(ErrorCode[e.name as keyof typeof ErrorCode], e.code)
    assert.ok(e.message.length > 0)
  }
})

test('known codes have Kafka values', () => {
  assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1)
  assert.equal(ErrorCode.NONE, 0)
  assert.equal(ErrorCode.CORRUPT_MESSAGE, 2)
  assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3)
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6)
  assert.equal(ErrorCode.MESSAGE_TOO_LARGE, 10)
  assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35)
  assert.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 45)
  assert.equal(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, 46)
  assert.equal(ErrorCode.KAFKA_STORAGE_ERROR, 56)
  assert.equal(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 76)
  assert.equal(ErrorCode.PRODUCER_FENCED, 90)
  assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100)
  assert.equal(ErrorCode.INVALID_REGULAR_EXPRESSION, 128)
})

test('retriable flags follow Kafka exception hierarchy', () => {
  const retriable = [
    'CORRUPT_MESSAGE',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'LEADER_NOT_AVAILABLE',
    'NOT_LEADER_OR_FOLLOWER',
    'REQUEST_TIMED_OUT',
    'NOT_ENOUGH_REPLICAS',
    'COORDINATOR_LOAD_IN_PROGRESS',
    'NOT_COORDINATOR',
    'KAFKA_STORAGE_ERROR',
    'CONCURRENT_TRANSACTIONS',
    'FENCED_LEADER_EPOCH',
    'UNKNOWN_TOPIC_ID'
  ] as const
  const fatal = [
    'NONE',
    'UNKNOWN_SERVER_ERROR',
    'MESSAGE_TOO_LARGE',
    'UNSUPPORTED_VERSION',
    'TOPIC_AUTHORIZATION_FAILED',
    'OUT_OF_ORDER_SEQUENCE_NUMBER',
    'DUPLICATE_SEQUENCE_NUMBER',
    'PRODUCER_FENCED',
    'INVALID_PRODUCER_EPOCH',
    'REBALANCE_IN_PROGRESS'
  ] as const
  for (const name of retriable) assert.equal(errorInfo(ErrorCode[name]).retriable, true, name)
  for (const name of fatal) assert.equal(errorInfo(ErrorCode[name]).retriable, false, name)
})

test('errorInfo describes unknown codes without throwing', () => {
  assert.deepEqual(errorInfo(3).name, 'UNKNOWN_TOPIC_OR_PARTITION')
  const info = errorInfo(31000)
  assert.equal(info.name, 'UNKNOWN')
  assert.equal(info.code, 31000)
  assert.equal(info.retriable, false)
})

test('KafkaError carries its code, a default message, and maps back to a response code', () => {
  const e = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  assert.ok(e instanceof Error)
  assert.equal(e.code, 6)
  assert.equal(e.message, errorInfo(6).message)
  assert.equal(e.errorName, 'NOT_LEADER_OR_FOLLOWER')
  assert.equal(e.retriable, true)
  assert.equal(new KafkaError(ErrorCode.INVALID_REQUEST, 'bad acks').message, 'bad acks')
  assert.equal(errorCodeOf(e), 6)
  assert.equal(errorCodeOf(new TypeError('boom')), ErrorCode.UNKNOWN_SERVER_ERROR)
})
