import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { requestSchema } from '../../src/contract/openapi.js'
import { decodeQuery, encodeQuery } from '../../src/contract/query.js'

const systemA = '11111111-1111-1111-1111-111111111111'
const systemB = '22222222-2222-4222-8222-222222222222'
const encoderId = '18ad521a-308e-4182-b1a6-2338b46a2763'

const decode = (path: string, query: string): Record<string, unknown> =>
  decodeQuery(new URLSearchParams(query), requestSchema(path))

describe('decodeQuery: arrays', () => {
  test('repeated keys are an array, in order', () => {
    assert.deepEqual(
      decode('/acs/encoders/list', `acs_system_ids=${systemB}&acs_system_ids=${systemA}`),
      { acs_system_ids: [systemB, systemA] },
    )
    assert.deepEqual(
      decode('/acs/encoders/list', 'acs_encoder_ids=c&acs_encoder_ids=a&acs_encoder_ids=b'),
      { acs_encoder_ids: ['c', 'a', 'b'] },
    )
  })

  test('one value for an array parameter is a one-element array', () => {
    assert.deepEqual(decode('/acs/encoders/list', `acs_system_ids=${systemA}`), {
      acs_system_ids: [systemA],
    })
    assert.deepEqual(
      decode(
        '/acs/entrances/list_credentials_with_access',
        `acs_entrance_id=${encoderId}&include_if=visionline_metadata.is_valid`,
      ),
      { acs_entrance_id: encoderId, include_if: ['visionline_metadata.is_valid'] },
    )
  })

  test('an empty value for an array parameter is the empty array', () => {
    assert.deepEqual(decode('/acs/encoders/list', 'acs_system_ids='), { acs_system_ids: [] })
    assert.deepEqual(decode('/acs/entrances/list_credentials_with_access', 'include_if='), {
      include_if: [],
    })
  })

  test('the keys of different parameters may come in any order', () => {
    const expected = { acs_system_ids: [systemA, systemB], limit: 3 }
    assert.deepEqual(
      decode('/acs/encoders/list', `limit=3&acs_system_ids=${systemA}&acs_system_ids=${systemB}`),
      expected,
    )
    assert.deepEqual(
      decode('/acs/encoders/list', `acs_system_ids=${systemA}&limit=3&acs_system_ids=${systemB}`),
      expected,
    )
  })
})

describe('decodeQuery: scalars typed by the schema', () => {
  test('strings stay strings, URL-decoded', () => {
    assert.deepEqual(decode('/acs/encoders/list', `acs_system_id=${systemA}`), {
      acs_system_id: systemA,
    })
    assert.deepEqual(
      decode(
        '/acs/credentials/list',
        'created_before=2025-07-13T15%3A00%3A00.000Z&search=Jane+Doe',
      ),
      { created_before: '2025-07-13T15:00:00.000Z', search: 'Jane Doe' },
    )
    // A string that looks like a number or a boolean is still a string.
    assert.deepEqual(decode('/acs/credentials/list', 'search=42'), { search: '42' })
    assert.deepEqual(decode('/acs/credentials/list', 'search=true'), { search: 'true' })
  })

  test('an empty value for a nullable string is null', () => {
    assert.deepEqual(decode('/acs/encoders/list', 'page_cursor='), { page_cursor: null })
    assert.deepEqual(decode('/acs/credentials/list', 'page_cursor='), { page_cursor: null })
    assert.deepEqual(decode('/acs/encoders/list', 'page_cursor=abc'), { page_cursor: 'abc' })
  })

  test('an empty value for a string that is not nullable stays the empty string', () => {
    assert.deepEqual(decode('/acs/credentials/list', 'search='), { search: '' })
  })

  test('numbers', () => {
    assert.deepEqual(decode('/acs/encoders/list', 'limit=10'), { limit: 10 })
    assert.deepEqual(decode('/acs/encoders/list', 'limit=2.5'), { limit: 2.5 })
    assert.deepEqual(decode('/acs/encoders/list', 'limit=0'), { limit: 0 })
    assert.deepEqual(decode('/acs/encoders/list', 'limit=-3'), { limit: -3 })
    // What is not a finite number stays text, for validation to refuse by name.
    assert.deepEqual(decode('/acs/encoders/list', 'limit=ten'), { limit: 'ten' })
    assert.deepEqual(decode('/acs/encoders/list', 'limit='), { limit: '' })
    assert.deepEqual(decode('/acs/encoders/list', 'limit=Infinity'), { limit: 'Infinity' })
    assert.deepEqual(decode('/acs/encoders/list', 'limit=NaN'), { limit: 'NaN' })
  })

  test('booleans', () => {
    assert.deepEqual(decode('/acs/credentials/list', 'is_multi_phone_sync_credential=true'), {
      is_multi_phone_sync_credential: true,
    })
    assert.deepEqual(decode('/acs/credentials/list', 'is_multi_phone_sync_credential=false'), {
      is_multi_phone_sync_credential: false,
    })
    // Only the serializer's spellings are booleans.
    assert.deepEqual(decode('/acs/credentials/list', 'is_multi_phone_sync_credential=TRUE'), {
      is_multi_phone_sync_credential: 'TRUE',
    })
    assert.deepEqual(decode('/acs/credentials/list', 'is_multi_phone_sync_credential=1'), {
      is_multi_phone_sync_credential: '1',
    })
  })

  test('a repeated scalar parameter takes its last value', () => {
    assert.deepEqual(decode('/acs/encoders/list', 'limit=1&limit=2'), { limit: 2 })
  })

  test('parameters the schema does not know stay text', () => {
    assert.deepEqual(decode('/acs/encoders/list', 'color=blue&n=5'), { color: 'blue', n: '5' })
    assert.deepEqual(decode('/acs/encoders/list', 'color=blue&color=red'), {
      color: ['blue', 'red'],
    })
  })
})

describe('decodeQuery: nested objects and markers', () => {
  test('dotted keys are nested objects, typed by the nested schema', () => {
    assert.deepEqual(
      decode(
        '/acs/encoders/scan_credential',
        `acs_encoder_id=${encoderId}&salto_ks_metadata.detect_new_tags=true`,
      ),
      { acs_encoder_id: encoderId, salto_ks_metadata: { detect_new_tags: true } },
    )
    assert.deepEqual(
      decode('/acs/encoders/scan_credential', 'salto_ks_metadata.detect_new_tags=false'),
      { salto_ks_metadata: { detect_new_tags: false } },
    )
  })

  test('several keys under one prefix build one object', () => {
    assert.deepEqual(
      decode(
        '/acs/credentials/create',
        'visionline_metadata.card_format=rfid48&visionline_metadata.override=true&visionline_metadata.joiner_acs_credential_ids=a&visionline_metadata.joiner_acs_credential_ids=b',
      ),
      {
        visionline_metadata: {
          card_format: 'rfid48',
          override: true,
          joiner_acs_credential_ids: ['a', 'b'],
        },
      },
    )
  })

  test('_strict is the serializer’s marker, not a parameter', () => {
    assert.deepEqual(decode('/acs/encoders/list', '_strict=true'), {})
    assert.deepEqual(decode('/acs/encoders/list', `_strict=true&acs_system_ids=${systemA}`), {
      acs_system_ids: [systemA],
    })
  })

  test('no parameters is an empty object', () => {
    assert.deepEqual(decode('/acs/encoders/list', ''), {})
  })

  test('names that reach Object.prototype are skipped', () => {
    const decoded = decode(
      '/acs/encoders/list',
      '__proto__.polluted=1&constructor.prototype.polluted=1&prototype=1&limit=4',
    )
    assert.deepEqual(decoded, { limit: 4 })
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype)
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
  })
})

describe('encodeQuery', () => {
  test('writes arrays as repeated keys, [] and null as empty values, objects as dotted keys', () => {
    assert.equal(
      encodeQuery({
        acs_system_ids: [systemA, systemB],
        acs_encoder_ids: [],
        limit: 20,
        page_cursor: null,
        is_multi_phone_sync_credential: false,
        salto_ks_metadata: { detect_new_tags: true },
        skipped: undefined,
      }).toString(),
      `acs_system_ids=${systemA}&acs_system_ids=${systemB}&acs_encoder_ids=&limit=20&page_cursor=&is_multi_phone_sync_credential=false&salto_ks_metadata.detect_new_tags=true`,
    )
  })

  test('round trip: decodeQuery(encodeQuery(x)) is x', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['/acs/encoders/list', { acs_system_ids: [systemA, systemB], limit: 25, page_cursor: 'abc' }],
      ['/acs/encoders/list', { acs_system_ids: [systemA], limit: 0.5, page_cursor: null }],
      ['/acs/encoders/list', { acs_encoder_ids: [] }],
      ['/acs/encoders/list', { acs_system_id: systemA }],
      [
        '/acs/credentials/list',
        {
          acs_user_id: systemB,
          is_multi_phone_sync_credential: true,
          created_before: '2025-07-13T15:00:00.000Z',
          search: 'Jane & John = 100%',
        },
      ],
      [
        '/acs/encoders/scan_credential',
        { acs_encoder_id: encoderId, salto_ks_metadata: { detect_new_tags: false } },
      ],
      [
        '/acs/entrances/list_credentials_with_access',
        { acs_entrance_id: encoderId, include_if: ['visionline_metadata.is_valid'] },
      ],
      [
        '/acs/credentials/create',
        {
          access_method: 'card',
          allowed_acs_entrance_ids: [],
          visionline_metadata: { card_format: 'TLCode', joiner_acs_credential_ids: [systemA] },
        },
      ],
    ]
    for (const [path, params] of cases) {
      const query = encodeQuery(params)
      assert.deepEqual(
        decodeQuery(new URLSearchParams(query.toString()), requestSchema(path)),
        params,
        path,
      )
    }
  })
})

/**
 * The official SDK writes GET queries with @seamapi/url-search-params-serializer. It is
 * not a dependency of Keysmith, so its documented output is reproduced here by hand:
 * keys sorted, arrays as repeated keys, [] and null as `name=`, nested objects as
 * dotted keys, booleans and numbers with toString(), Dates as toISOString(), empty
 * strings and empty objects left out.
 */
describe('queries as the official SDK serializer writes them', () => {
  test('documented examples decode to what the SDK meant', () => {
    // { acs_system_ids: [a, b] }
    assert.deepEqual(
      decode('/acs/encoders/list', `acs_system_ids=${systemA}&acs_system_ids=${systemB}`),
      {
        acs_system_ids: [systemA, systemB],
      },
    )
    // { acs_system_ids: [a] } -> single key, no brackets
    assert.deepEqual(decode('/acs/encoders/list', `acs_system_ids=${systemA}`), {
      acs_system_ids: [systemA],
    })
    // { acs_encoder_ids: [], page_cursor: null }, keys sorted
    assert.deepEqual(decode('/acs/encoders/list', 'acs_encoder_ids=&page_cursor='), {
      acs_encoder_ids: [],
      page_cursor: null,
    })
    // { limit: 50, acs_system_id: a }, keys sorted
    assert.deepEqual(decode('/acs/encoders/list', `acs_system_id=${systemA}&limit=50`), {
      acs_system_id: systemA,
      limit: 50,
    })
    // { is_multi_phone_sync_credential: false, created_before: new Date(0), search: '' }
    assert.deepEqual(
      decode(
        '/acs/credentials/list',
        'created_before=1970-01-01T00%3A00%3A00.000Z&is_multi_phone_sync_credential=false',
      ),
      { created_before: '1970-01-01T00:00:00.000Z', is_multi_phone_sync_credential: false },
    )
    // { acs_encoder_id, salto_ks_metadata: { detect_new_tags: true } }
    assert.deepEqual(
      decode(
        '/acs/encoders/scan_credential',
        `acs_encoder_id=${encoderId}&salto_ks_metadata.detect_new_tags=true`,
      ),
      { acs_encoder_id: encoderId, salto_ks_metadata: { detect_new_tags: true } },
    )
  })

  test('encodeQuery writes the same parameters as the serializer (key order aside)', () => {
    const sorted = (params: URLSearchParams): string => {
      const copy = new URLSearchParams(params)
      copy.sort()
      return copy.toString()
    }
    // Values the serializer's documentation spells out.
    assert.equal(
      sorted(encodeQuery({ limit: 50, acs_system_ids: [systemA, systemB], page_cursor: null })),
      `acs_system_ids=${systemA}&acs_system_ids=${systemB}&limit=50&page_cursor=`,
    )
    assert.equal(sorted(encodeQuery({ foo: [] })), 'foo=')
    assert.equal(sorted(encodeQuery({ foo: [1] })), 'foo=1')
    assert.equal(sorted(encodeQuery({ foo: true, bar: false })), 'bar=false&foo=true')
    assert.equal(
      sorted(encodeQuery({ foo: 'a', bar: { baz: 'b', fizz: [1, 2] } })),
      'bar.baz=b&bar.fizz=1&bar.fizz=2&foo=a',
    )
    assert.equal(sorted(encodeQuery({ foo: {}, bar: { baz: {} }, fizz: 1 })), 'fizz=1')
    assert.equal(sorted(encodeQuery({ foo: undefined, bar: 1 })), 'bar=1')
  })

  test('encodeQuery writes Dates and empty strings as the serializer does', () => {
    assert.equal(
      encodeQuery({ created_before: new Date(0) }).toString(),
      'created_before=1970-01-01T00%3A00%3A00.000Z',
    )
    assert.equal(encodeQuery({ search: '', limit: 1 }).toString(), 'limit=1')
  })
})
