import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { componentSchema, type JsonSchema, toJsonSchema } from '../../src/contract/openapi.js'
import { requestContract } from '../../src/contract/validation.js'
import { DomainError, type ValidationErrors } from '../../src/domain/errors.js'

const encoderId = '18ad521a-308e-4182-b1a6-2338b46a2763'
const systemId = '11111111-1111-1111-1111-111111111111'
const userId = '73a0a199-024f-454d-a916-9bbda8502c12'

const request = (schema: JsonSchema): JsonSchema => toJsonSchema(schema, { request: true })
const response = (schema: JsonSchema): JsonSchema => toJsonSchema(schema, { request: false })

/** Runs `run`, which must throw Seam's invalid_input; returns message and validation_errors. */
const invalid = (run: () => unknown): { message: string; errors: ValidationErrors } => {
  let thrown: unknown
  try {
    run()
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown instanceof DomainError, `expected a DomainError, got ${String(thrown)}`)
  assert.equal(thrown.kind, 'invalid_input')
  assert.equal(thrown.type, 'invalid_input')
  assert.ok(thrown.validationErrors, 'validation_errors is set')
  return { message: thrown.message, errors: thrown.validationErrors }
}

describe('toJsonSchema', () => {
  test('nullable with a type: the type becomes [type, "null"]', () => {
    assert.deepEqual(request({ type: 'string', nullable: true }), { type: ['string', 'null'] })
    assert.deepEqual(request({ type: 'number', format: 'float', nullable: true }), {
      type: ['number', 'null'],
    })
    assert.deepEqual(request({ type: 'string', format: 'uuid', nullable: true }), {
      type: ['string', 'null'],
      format: 'uuid',
      lowercase: true,
    })
    assert.deepEqual(request({ type: 'string', nullable: false }), { type: 'string' })
  })

  test('nullable with an enum or without a type: anyOf null', () => {
    // An enum would refuse null even with type [string, null].
    assert.deepEqual(request({ type: 'string', enum: ['TLCode', 'rfid48'], nullable: true }), {
      anyOf: [{ type: 'null' }, { type: 'string', enum: ['TLCode', 'rfid48'] }],
    })
    assert.deepEqual(request({ nullable: true, oneOf: [{ type: 'string' }, { type: 'number' }] }), {
      anyOf: [{ type: 'null' }, { anyOf: [{ type: 'string' }, { type: 'number' }] }],
    })
    // Nothing left to constrain: anything goes, null included.
    assert.deepEqual(request({ nullable: true }), {})
    assert.deepEqual(request({ nullable: true, description: 'anything' }), {})
  })

  test('boolean exclusiveMinimum/exclusiveMaximum become numeric bounds', () => {
    assert.deepEqual(request({ type: 'number', minimum: 0, exclusiveMinimum: true }), {
      type: 'number',
      exclusiveMinimum: 0,
    })
    assert.deepEqual(request({ type: 'number', minimum: 0, exclusiveMinimum: false }), {
      type: 'number',
      minimum: 0,
    })
    assert.deepEqual(request({ type: 'integer', maximum: 10, exclusiveMaximum: true }), {
      type: 'integer',
      exclusiveMaximum: 10,
    })
    assert.deepEqual(request({ type: 'integer', maximum: 10, exclusiveMaximum: false }), {
      type: 'integer',
      maximum: 10,
    })
    // Already numeric (JSON Schema style): left as is.
    assert.deepEqual(request({ type: 'number', exclusiveMinimum: 5 }), {
      type: 'number',
      exclusiveMinimum: 5,
    })
  })

  test('numeric formats are dropped, string formats kept', () => {
    for (const format of ['float', 'double', 'int32', 'int64']) {
      assert.deepEqual(request({ type: 'number', format }), { type: 'number' }, format)
    }
    for (const format of ['date-time', 'email', 'uri']) {
      assert.deepEqual(request({ type: 'string', format }), { type: 'string', format }, format)
    }
    // A request's UUIDs are also lowercased; a response's are only checked.
    assert.deepEqual(request({ type: 'string', format: 'uuid' }), {
      type: 'string',
      format: 'uuid',
      lowercase: true,
    })
    assert.deepEqual(toJsonSchema({ type: 'string', format: 'uuid' }, { request: false }), {
      type: 'string',
      format: 'uuid',
    })
  })

  test('documentation and vendor keys are dropped, but not properties with those names', () => {
    assert.deepEqual(
      request({
        type: 'object',
        title: 'Thing',
        description: 'A thing',
        deprecated: true,
        example: { a: 1 },
        'x-route-path': '/things',
        discriminator: { propertyName: 'kind' },
        properties: {
          description: { type: 'string', description: 'the description property' },
          title: { type: 'string' },
          nullable: { type: 'boolean' },
          'x-odd': { type: 'number', format: 'float' },
        },
        required: ['description'],
      }),
      {
        type: 'object',
        properties: {
          description: { type: 'string' },
          title: { type: 'string' },
          nullable: { type: 'boolean' },
          'x-odd': { type: 'number' },
        },
        required: ['description'],
      },
    )
  })

  test('$ref to a component is inlined and converted', () => {
    const pagination = {
      type: 'object',
      properties: {
        has_next_page: { type: 'boolean' },
        next_page_cursor: { type: ['string', 'null'] },
        next_page_url: { type: ['string', 'null'], format: 'uri' },
      },
      required: ['next_page_cursor', 'has_next_page', 'next_page_url'],
    }
    assert.deepEqual(request({ $ref: '#/components/schemas/pagination' }), pagination)
    assert.deepEqual(
      response({
        type: 'object',
        properties: {
          pagination: { $ref: '#/components/schemas/pagination' },
          items: { type: 'array', items: { $ref: '#/components/schemas/pagination' } },
        },
      }),
      {
        type: 'object',
        properties: { pagination, items: { type: 'array', items: pagination } },
      },
    )
    const encoder = JSON.stringify(response(componentSchema('acs_encoder')))
    assert.equal(encoder.includes('$ref'), false)
    assert.equal(encoder.includes('"nullable"'), false)
    assert.throws(
      () => request({ $ref: '#/components/schemas/no_such_schema' }),
      /no_such_schema is not a component schema/,
    )
  })

  test('oneOf becomes anyOf for requests only, at any depth', () => {
    const schema: JsonSchema = {
      oneOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        {
          type: 'object',
          properties: { b: { oneOf: [{ type: 'string' }, { type: 'number' }] } },
          required: ['b'],
        },
      ],
    }
    assert.deepEqual(request(schema), {
      anyOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        {
          type: 'object',
          properties: { b: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
          required: ['b'],
        },
      ],
    })
    assert.deepEqual(response(schema), schema)
  })

  test('the input schema is not modified', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { x: { type: 'string', nullable: true, description: 'x' } },
    }
    const before = JSON.stringify(schema)
    request(schema)
    assert.equal(JSON.stringify(schema), before)
  })
})

describe('requestContract: valid input', () => {
  test('a valid body passes and is returned', () => {
    const encode = requestContract('/acs/encoders/encode_credential')
    const body = { acs_encoder_id: encoderId, acs_credential_id: userId }
    assert.deepEqual(encode.fromBody(body), {
      acs_encoder_id: encoderId,
      acs_credential_id: userId,
    })
  })

  test('UUIDs in any case are read in lowercase, in bodies, arrays and query strings', () => {
    const upper = encoderId.toUpperCase()
    const encode = requestContract('/acs/encoders/encode_credential')
    assert.deepEqual(encode.fromBody({ acs_encoder_id: upper, acs_credential_id: userId }), {
      acs_encoder_id: encoderId,
      acs_credential_id: userId,
    })
    const list = requestContract<{ acs_encoder_ids: string[] }>('/acs/encoders/list')
    assert.deepEqual(list.fromBody({ acs_encoder_ids: [upper, userId] }).acs_encoder_ids, [
      encoderId,
      userId,
    ])
    assert.deepEqual(
      list.fromQuery(new URLSearchParams(`acs_encoder_ids=${upper}`)).acs_encoder_ids,
      [encoderId],
    )
  })

  test('defaults are applied at the top level and inside a given object', () => {
    assert.deepEqual(requestContract('/acs/encoders/list').fromBody({ acs_system_id: systemId }), {
      acs_system_id: systemId,
      limit: 500,
    })
    assert.deepEqual(
      requestContract('/acs/encoders/list').fromBody({ acs_system_id: systemId, limit: 7 }),
      { acs_system_id: systemId, limit: 7 },
    )
    assert.deepEqual(
      requestContract('/acs/credentials/create').fromBody({
        access_method: 'card',
        acs_user_id: userId,
        visionline_metadata: { card_format: 'rfid48' },
      }),
      {
        access_method: 'card',
        acs_user_id: userId,
        allowed_acs_entrance_ids: [],
        is_multi_phone_sync_credential: false,
        visionline_metadata: { card_format: 'rfid48', card_function_type: 'guest' },
      },
    )
    assert.deepEqual(
      requestContract('/acs/encoders/scan_credential').fromBody({
        acs_encoder_id: encoderId,
        salto_ks_metadata: {},
      }),
      { acs_encoder_id: encoderId, salto_ks_metadata: { detect_new_tags: false } },
    )
    // An object that was not given is not created to hold defaults.
    assert.deepEqual(
      requestContract('/acs/encoders/scan_credential').fromBody({ acs_encoder_id: encoderId }),
      { acs_encoder_id: encoderId },
    )
  })

  test('a missing body means no parameters', () => {
    const scan = requestContract('/acs/encoders/scan_credential')
    assert.deepEqual(invalid(() => scan.fromBody(undefined)).errors, {
      _errors: [],
      acs_encoder_id: { _errors: ['Required'] },
    })
    assert.deepEqual(invalid(() => scan.fromBody(null)).errors, {
      _errors: [],
      acs_encoder_id: { _errors: ['Required'] },
    })
  })

  test('a query string is decoded with the same schema, then validated', () => {
    const list = requestContract('/acs/encoders/list')
    assert.deepEqual(
      list.fromQuery(new URLSearchParams(`acs_system_ids=${systemId}&limit=20&_strict=true`)),
      { acs_system_ids: [systemId], limit: 20 },
    )
    assert.deepEqual(list.fromQuery(new URLSearchParams(`acs_encoder_ids=${encoderId}`)), {
      acs_encoder_ids: [encoderId],
      limit: 500,
    })
    assert.deepEqual(
      requestContract('/acs/credentials/list').fromQuery(
        new URLSearchParams(
          `acs_system_id=${systemId}&is_multi_phone_sync_credential=true&page_cursor=`,
        ),
      ),
      {
        acs_system_id: systemId,
        is_multi_phone_sync_credential: true,
        page_cursor: null,
        limit: 500,
      },
    )
  })
})

describe('requestContract: invalid input', () => {
  const encode = requestContract('/acs/encoders/encode_credential')

  test('a missing required parameter is named', () => {
    const { message, errors } = invalid(() => encode.fromBody({ acs_credential_id: userId }))
    assert.equal(message, 'Invalid input: acs_encoder_id: Required')
    assert.deepEqual(errors, {
      _errors: [],
      acs_encoder_id: { _errors: ['Required'] },
    })
  })

  test('a malformed uuid is named', () => {
    const { message, errors } = invalid(() =>
      encode.fromBody({ acs_encoder_id: 'not-a-uuid', acs_credential_id: userId }),
    )
    assert.equal(message, 'Invalid input: acs_encoder_id: must match format "uuid"')
    assert.deepEqual(errors, {
      _errors: [],
      acs_encoder_id: { _errors: ['must match format "uuid"'] },
    })
  })

  test('every wrong parameter is reported at once', () => {
    const { message, errors } = invalid(() =>
      encode.fromBody({ acs_encoder_id: 42, acs_credential_id: 'x', access_method_id: userId }),
    )
    assert.deepEqual(errors, {
      _errors: [],
      acs_encoder_id: { _errors: ['must be string'] },
      acs_credential_id: { _errors: ['must match format "uuid"'] },
    })
    assert.equal(
      message,
      'Invalid input: acs_credential_id: must match format "uuid"; acs_encoder_id: must be string',
    )
  })

  test('no parameters where one of several is required: "Provide one of"', () => {
    const list = requestContract('/acs/encoders/list')
    for (const body of [{}, undefined, { limit: 10 }]) {
      const { message, errors } = invalid(() => list.fromBody(body))
      assert.equal(
        message,
        'Invalid input: Provide one of: acs_system_id, acs_system_ids, acs_encoder_ids',
      )
      assert.deepEqual(errors, {
        _errors: ['Provide one of: acs_system_id, acs_system_ids, acs_encoder_ids'],
      })
    }
    const { errors } = invalid(() => list.fromQuery(new URLSearchParams('')))
    assert.deepEqual(errors, {
      _errors: ['Provide one of: acs_system_id, acs_system_ids, acs_encoder_ids'],
    })
  })

  test('a malformed value for one of the alternatives names that parameter only', () => {
    const list = requestContract('/acs/encoders/list')
    const { errors } = invalid(() => list.fromBody({ acs_system_id: 'nope' }))
    assert.deepEqual(errors, {
      _errors: [],
      acs_system_id: { _errors: ['must match format "uuid"'] },
    })
  })

  test('array items are checked, naming the parameter and the index', () => {
    const list = requestContract('/acs/encoders/list')
    const { errors } = invalid(() => list.fromBody({ acs_encoder_ids: [encoderId, 'nope'] }))
    assert.deepEqual(errors.acs_encoder_ids, { _errors: ['1 must match format "uuid"'] })
    assert.deepEqual(
      invalid(() => list.fromBody({ acs_encoder_ids: encoderId })).errors.acs_encoder_ids,
      { _errors: ['must be array'] },
    )
  })

  test('a query value of the wrong type is named', () => {
    const list = requestContract('/acs/encoders/list')
    const { message, errors } = invalid(() =>
      list.fromQuery(new URLSearchParams(`acs_system_id=${systemId}&limit=ten`)),
    )
    assert.equal(message, 'Invalid input: limit: must be number')
    assert.deepEqual(errors, { _errors: [], limit: { _errors: ['must be number'] } })
  })

  test('enum values are listed', () => {
    const create = requestContract('/acs/credentials/create')
    const { errors } = invalid(() =>
      create.fromBody({ access_method: 'teleport', acs_user_id: userId }),
    )
    assert.deepEqual(errors, {
      _errors: [],
      access_method: { _errors: ['must be one of "code", "card", "mobile_key", "cloud_key"'] },
    })
  })

  test('a nested enum error names the nested property, as other nested errors do', () => {
    const create = requestContract('/acs/credentials/create')
    const { errors } = invalid(() =>
      create.fromBody({
        access_method: 'card',
        acs_user_id: userId,
        visionline_metadata: { card_format: 'x' },
      }),
    )
    assert.deepEqual(errors.visionline_metadata, {
      _errors: ['card_format must be one of "TLCode", "rfid48"'],
    })
  })

  test('a nested type error names the nested property', () => {
    const create = requestContract('/acs/credentials/create')
    const { errors } = invalid(() =>
      create.fromBody({
        access_method: 'card',
        acs_user_id: userId,
        visionline_metadata: { override: 'yes' },
      }),
    )
    assert.deepEqual(errors, {
      _errors: [],
      visionline_metadata: { _errors: ['override must be boolean'] },
    })
  })

  test('a body that is not an object is refused', () => {
    for (const body of [[], [{ acs_encoder_id: encoderId }], 'acs_encoder_id', 42, true]) {
      const { message, errors } = invalid(() => encode.fromBody(body))
      assert.equal(message, 'Invalid input: Parameters must be a JSON object', JSON.stringify(body))
      assert.deepEqual(errors, { _errors: ['Parameters must be a JSON object'] })
    }
  })

  test('text with a NUL character is refused, naming the parameter', () => {
    const list = requestContract('/acs/credentials/list')
    const { message, errors } = invalid(() =>
      list.fromBody({ acs_system_id: systemId, search: 'Jane\u0000Doe' }),
    )
    assert.equal(message, 'Invalid input: search must not contain the NUL character (U+0000)')
    assert.deepEqual(errors, {
      _errors: [],
      search: { _errors: ['must not contain the NUL character (U+0000)'] },
    })
  })

  test('parameter names that reach Object.prototype are reported safely', () => {
    const create = requestContract('/acs/credentials/create')
    // Unknown parameters are allowed; a known one is still checked.
    const { errors } = invalid(() =>
      create.fromBody(JSON.parse('{"__proto__": {"x": 1}, "constructor": 1, "access_method": 5}')),
    )
    assert.deepEqual(errors, {
      _errors: [],
      access_method: {
        _errors: ['must be string', 'must be one of "code", "card", "mobile_key", "cloud_key"'],
      },
    })
    assert.equal(Object.hasOwn(Object.prototype, 'x'), false)
  })
})

describe('parameters declared differently by different alternatives', () => {
  test('a value any alternative allows is accepted; a value none allows is refused', () => {
    const fail = requestContract('/acs/encoders/simulate/next_credential_encode_will_fail')
    const encoder = '18ad521a-308e-4182-b1a6-2338b46a2763'
    assert.doesNotThrow(() =>
      fail.fromBody({ acs_encoder_id: encoder, error_code: 'encoding_interrupted' }),
    )
    assert.doesNotThrow(() =>
      fail.fromBody({ acs_encoder_id: encoder, error_code: 'uncategorized_error' }),
    )
    invalid(() => fail.fromBody({ acs_encoder_id: encoder, error_code: 'exploded' }))
    // Declared by one alternative only, still type-checked when another one matches.
    const list = requestContract('/acs/credentials/list')
    invalid(() => list.fromBody({ acs_user_id: [] }))
    invalid(() => list.fromBody({ acs_system_id: 123 }))
  })
})
