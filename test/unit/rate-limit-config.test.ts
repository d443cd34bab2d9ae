import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, defaultRateLimit, parseRateLimit } from '../../src/config.js'

test('KEYSMITH_RATE_LIMIT: rate, rate:burst, off, and a clear error otherwise', () => {
  assert.deepEqual(parseRateLimit(undefined), defaultRateLimit)
  assert.deepEqual(parseRateLimit(''), defaultRateLimit)
  assert.deepEqual(parseRateLimit('100'), { rate: 100, burst: 100 })
  assert.deepEqual(parseRateLimit('100:200'), { rate: 100, burst: 200 })
  assert.deepEqual(parseRateLimit('0.5:2'), { rate: 0.5, burst: 2 })
  assert.deepEqual(parseRateLimit('0.5'), { rate: 0.5, burst: 1 })
  assert.equal(parseRateLimit('off'), undefined)
  for (const bad of ['0', '-1', 'abc', '10:0', '10:', ':5', '1e3', '10:2.5']) {
    assert.throws(() => parseRateLimit(bad), ConfigError, bad)
  }
})
