import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DomainError } from '../../src/domain/errors.js'
import { toHttpFailure } from '../../src/http/errors.js'

const pgError = (code: string) => Object.assign(new Error('from PostgreSQL'), { code })

describe('toHttpFailure', () => {
  test('a domain error keeps its type; its kind gives the status', () => {
    const failure = toHttpFailure(
      new DomainError('conflict', 'access_grant_key_already_in_use', 'taken'),
    )
    assert.deepEqual(failure, {
      status: 409,
      type: 'access_grant_key_already_in_use',
      message: 'taken',
      validationErrors: undefined,
    })
  })

  test('a unique key taken by a concurrent request is 409 conflict, not a 500', () => {
    const failure = toHttpFailure(pgError('23505'))
    assert.equal(failure.status, 409)
    assert.equal(failure.type, 'conflict')
    assert.equal(failure.unexpected, undefined)
  })

  test('values PostgreSQL cannot store are 400; races are 409; the rest is a logged 500', () => {
    assert.equal(toHttpFailure(pgError('22P02')).status, 400)
    assert.equal(toHttpFailure(pgError('40P01')).status, 409)
    const defect = toHttpFailure(new TypeError('undefined is not a function'))
    assert.equal(defect.status, 500)
    assert.equal(defect.unexpected, true)
    assert.doesNotMatch(defect.message, /undefined is not a function/)
  })
})
