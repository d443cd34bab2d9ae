import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  errorReportLimits,
  nestsDeeperThan,
  oversizedValue,
  requestLimits,
  withRequestLimits,
} from '../../src/contract/limits.js'
import { type JsonSchema, requestSchema, toJsonSchema } from '../../src/contract/openapi.js'
import { requestContract } from '../../src/contract/validation.js'
import { DomainError, type ValidationErrors } from '../../src/domain/errors.js'
import { routes } from '../../src/routes/index.js'

const refusal = (run: () => unknown): { message: string; errors: ValidationErrors } => {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof DomainError && error.validationErrors, String(error))
    return { message: error.message, errors: error.validationErrors }
  }
  assert.fail('the input was accepted')
}

const messagesOf = (errors: ValidationErrors, parameter: string): string[] => {
  const entry = errors[parameter]
  return Array.isArray(entry) ? entry : (entry?._errors ?? [])
}

describe('request limits', () => {
  test('every array and free-text string of every served request schema is bounded', () => {
    const unbounded: string[] = []
    const visit = (node: unknown, where: string): void => {
      if (Array.isArray(node)) {
        for (const item of node) visit(item, where)
        return
      }
      if (typeof node !== 'object' || node === null) return
      const schema = node as JsonSchema
      const types = [schema.type].flat()
      if (types.includes('array') && !(Number(schema.maxItems) <= requestLimits.arrayItems)) {
        unbounded.push(`${where}[]`)
      }
      if (
        types.includes('string') &&
        schema.enum === undefined &&
        !(Number(schema.maxLength) <= requestLimits.urlLength)
      ) {
        unbounded.push(where)
      }
      for (const [key, value] of Object.entries(schema)) {
        if (key === 'properties' && typeof value === 'object' && value !== null) {
          for (const [name, child] of Object.entries(value)) visit(child, `${where}.${name}`)
        } else if (key !== 'enum') visit(value, where)
      }
    }
    for (const route of routes) {
      visit(
        withRequestLimits(toJsonSchema(requestSchema(route.path), { request: true })),
        route.path,
      )
    }
    assert.deepEqual(unbounded, [])
  })

  test('a bound the document sets itself is kept; requested_access_methods has its own', () => {
    const limited = withRequestLimits({
      type: 'object',
      properties: {
        code: { type: 'string', maxLength: 9 },
        requested_access_methods: { type: 'array', items: { type: 'object' } },
        url: { type: 'string', format: 'uri' },
        mode: { type: 'string', enum: ['card'] },
      },
    })
    const properties = limited.properties as Record<string, JsonSchema>
    assert.equal(properties.code?.maxLength, 9)
    assert.equal(properties.requested_access_methods?.maxItems, 10)
    assert.equal(properties.url?.maxLength, requestLimits.urlLength)
    assert.equal(properties.mode?.maxLength, undefined)
  })

  test('nesting depth is found in the JSON text, brackets inside strings aside', () => {
    assert.equal(nestsDeeperThan('{"a":[[1]]}', 3), false)
    assert.equal(nestsDeeperThan('{"a":[[[1]]]}', 3), true)
    assert.equal(nestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 3), false)
    assert.equal(nestsDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, 3), false)
    assert.equal(nestsDeeperThan(`${'['.repeat(20_000)}${']'.repeat(20_000)}`, 32), true)
  })

  test('oversized values name their parameter before any schema runs', () => {
    assert.deepEqual(oversizedValue({ ids: Array(requestLimits.arrayItems + 1).fill('x') }), {
      parameter: 'ids',
      message: `has ${requestLimits.arrayItems + 1} items; at most ${requestLimits.arrayItems} are accepted`,
    })
    assert.equal(oversizedValue({ search: 'x'.repeat(5_000) })?.parameter, 'search')
    let deep: unknown = 1
    for (let i = 0; i < 100; i++) deep = { a: deep }
    assert.equal(oversizedValue({ customer_data: deep })?.parameter, 'customer_data')
    assert.equal(oversizedValue({ ids: ['a', 'b'], search: 'x' }), undefined)
  })
})

describe('refusals stay small', () => {
  test('the same complaint about many items is one message', () => {
    const list = requestContract('/events/list')
    const { errors } = refusal(() =>
      list.fromBody({ since: '2020-01-01T00:00:00.000Z', event_types: Array(5_000).fill(null) }),
    )
    const messages = messagesOf(errors, 'event_types')
    assert.deepEqual(
      messages.map((m) => m.replace(/\d+ more/, 'N more')),
      [
        '0 must be string (and at least N more items like it)',
        '0 must be one of 109 values, such as "access_code.created", "access_code.changed", "access_code.name_changed" (the API reference lists them) (and at least N more items like it)',
      ],
    )
  })

  test('a short array with a few bad items counts them exactly', () => {
    const list = requestContract('/acs/encoders/list')
    const { errors } = refusal(() =>
      list.fromBody({ acs_encoder_ids: ['nope', 'nope either', 'also not'] }),
    )
    assert.deepEqual(messagesOf(errors, 'acs_encoder_ids'), [
      '0 must match format "uuid" (and 2 more items like it)',
    ])
  })

  test('a bad item past the first hundred is still found', () => {
    const list = requestContract('/acs/encoders/list')
    const ids = Array.from({ length: 500 }, () => '18ad521a-308e-4182-b1a6-2338b46a2763')
    ids[400] = 'nope'
    const { errors } = refusal(() => list.fromBody({ acs_encoder_ids: ids }))
    assert.deepEqual(messagesOf(errors, 'acs_encoder_ids'), ['400 must match format "uuid"'])
  })

  test('messages per parameter and parameters are capped, and long names clipped', () => {
    const create = requestContract('/acs/users/create')
    const { errors } = refusal(() =>
      create.fromBody({
        acs_system_id: 5,
        full_name: 5,
        email_address: 5,
        phone_number: 5,
        access_schedule: { starts_at: 5, ends_at: 5, a: 1 },
        user_identity_id: 5,
      }),
    )
    for (const [key, entry] of Object.entries(errors)) {
      const messages = Array.isArray(entry) ? entry : entry._errors
      assert.ok(messages.length <= errorReportLimits.messagesPerParameter + 1, key)
      assert.ok(key.length <= errorReportLimits.parameterName + 1, key)
    }
    assert.ok(Object.keys(errors).length <= errorReportLimits.parameters + 1)
  })
})
