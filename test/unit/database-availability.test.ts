import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  Backoff,
  DatabaseUnavailable,
  isConnectionFailure,
  retryWhileUnavailable,
} from '../../src/db/availability.js'
import { toHttpFailure } from '../../src/http/errors.js'

const withCode = (code: string, message = 'from PostgreSQL') =>
  Object.assign(new Error(message), { code })

describe('database availability', () => {
  test('connection failures are told from errors of the work', () => {
    for (const failure of [
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is shutting down'),
      withCode('08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('timeout exceeded when trying to connect'),
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]),
      new DatabaseUnavailable(new Error('gone')),
    ]) {
      assert.equal(isConnectionFailure(failure), true, String(failure))
    }
    for (const failure of [
      withCode('23505'),
      withCode('22P02'),
      withCode('42P01'),
      new TypeError('x is undefined'),
      new AggregateError([]),
      'ECONNREFUSED',
      undefined,
    ]) {
      assert.equal(isConnectionFailure(failure), false, String(failure))
    }
  })

  test('requests answer a connection failure with 503 service_unavailable and Retry-After', () => {
    for (const failure of [
      new DatabaseUnavailable(new Error('gone')),
      withCode('57P01'),
      withCode('ECONNREFUSED'),
      withCode('08001'),
    ]) {
      const answer = toHttpFailure(failure)
      assert.equal(answer.status, 503)
      assert.equal(answer.type, 'service_unavailable')
      assert.equal(answer.unexpected, undefined)
      assert.deepEqual(answer.headers, { 'retry-after': '1' })
    }
  })

  test('a statement PostgreSQL cancelled at its timeout is 503 request_timeout', () => {
    const answer = toHttpFailure(withCode('57014', 'canceling statement due to statement timeout'))
    assert.equal(answer.status, 503)
    assert.equal(answer.type, 'request_timeout')
    assert.equal(isConnectionFailure(withCode('57014')), false)
  })

  test('retryWhileUnavailable retries connection failures only, and gives up in time', async () => {
    let calls = 0
    const value = await retryWhileUnavailable(
      async () => {
        calls++
        if (calls < 3) throw withCode('ECONNREFUSED')
        return 'done'
      },
      { forMs: 5_000, intervalMs: 1 },
    )
    assert.equal(value, 'done')
    assert.equal(calls, 3)

    calls = 0
    await assert.rejects(
      retryWhileUnavailable(
        async () => {
          calls++
          throw withCode('23505')
        },
        { forMs: 5_000, intervalMs: 1 },
      ),
      { code: '23505' },
    )
    assert.equal(calls, 1)

    const started = Date.now()
    await assert.rejects(
      retryWhileUnavailable(
        async () => {
          throw withCode('ECONNREFUSED')
        },
        { forMs: 50, intervalMs: 5 },
      ),
      { code: 'ECONNREFUSED' },
    )
    assert.ok(Date.now() - started < 1_000)

    const stopping = new AbortController()
    setTimeout(() => stopping.abort(), 20)
    await assert.rejects(
      retryWhileUnavailable(
        async () => {
          throw withCode('ECONNREFUSED')
        },
        { forMs: 60_000, intervalMs: 10_000, signal: stopping.signal },
      ),
      { code: 'ECONNREFUSED' },
    )
  })

  test('Backoff grows while failures last, up to its cap, and ends at the first success', () => {
    const backoff = new Backoff(1_000_000, 2_000_000)
    assert.equal(backoff.waiting, false)
    assert.equal(backoff.failed(), 1)
    assert.equal(backoff.waiting, true)
    assert.equal(backoff.failed(), 2)
    assert.equal(backoff.succeeded(), 2)
    assert.equal(backoff.waiting, false)
    assert.equal(backoff.succeeded(), 0)
  })
})
