import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { requestLimits } from '../../src/contract/limits.js'
import { assertErrorBody } from '../support/contract.js'
import { hotel, room101 } from '../support/sandbox.js'
import type { TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * No request costs more than a bounded amount: deeply nested bodies, arrays of
 * thousands of bad items, repeated access modes, long id filters and huge strings
 * are each answered with a small 400 invalid_input, and the server keeps answering
 * /health meanwhile. The bounds asserted are structural (the size of the answer);
 * the time bounds are generous ceilings for a loaded 2-core machine, far below what
 * these requests cost without the limits (seconds to minutes, 77 MB answers).
 */

/** An error answer is never larger than this, whatever the request. */
const maxErrorBytes = 64 * 1024
/** Ceiling for one such request, and for /health while it runs. */
const ceilingMs = 10_000

interface Answer {
  status: number
  bytes: number
  body: unknown
  requestId: string | null
}

const send = async (server: TestServer, path: string, init: RequestInit): Promise<Answer> => {
  const response = await server.fetch(path, { ...init, signal: AbortSignal.timeout(ceilingMs) })
  const text = await response.text()
  return {
    status: response.status,
    bytes: Buffer.byteLength(text),
    body: JSON.parse(text) as unknown,
    requestId: response.headers.get('seam-request-id'),
  }
}

const postRaw = (server: TestServer, path: string, body: string) =>
  send(server, path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })

/** Runs `request` while polling /health, and checks /health kept answering 200. */
const withHealthWatch = async (
  server: TestServer,
  request: () => Promise<Answer>,
): Promise<Answer> => {
  let done = false
  let slowestHealthMs = 0
  let healthChecks = 0
  const health = (async () => {
    while (!done) {
      const started = performance.now()
      const response = await fetch(new URL('/health', server.url), {
        signal: AbortSignal.timeout(ceilingMs),
      })
      await response.text()
      assert.equal(response.status, 200)
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started)
      healthChecks++
    }
  })()
  try {
    return await request()
  } finally {
    done = true
    await health
    assert.ok(healthChecks > 0)
    assert.ok(slowestHealthMs < ceilingMs, `/health took ${slowestHealthMs} ms`)
  }
}

/**
 * Runs `request` while polling /health, and checks the request is a small 400
 * invalid_input in Seam's shape. Returns the error.
 */
const expectBoundedRefusal = async (
  server: TestServer,
  request: () => Promise<Answer>,
): Promise<{ message: string; validation_errors?: Record<string, { _errors: string[] }> }> => {
  const answer = await withHealthWatch(server, request)
  {
    assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 500))
    assert.ok(answer.bytes < maxErrorBytes, `the error body is ${answer.bytes} bytes`)
    assertErrorBody(answer.body)
    const { error } = answer.body as {
      error: {
        type: string
        message: string
        request_id: string
        validation_errors?: Record<string, { _errors: string[] }>
      }
    }
    assert.equal(error.type, 'invalid_input')
    assert.equal(error.request_id, answer.requestId)
    return error
  }
}

const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

forEachDatabase('bounded cost of hostile requests', (kind) => {
  const server = useServer(kind)

  test('customer_data nested 20,000 levels deep is a 400, not a 500', async () => {
    const s = server.current
    const body = `{"name":"Deep","customer_data":${nested(20_000)}}`
    const error = await expectBoundedRefusal(s, () => postRaw(s, '/spaces/create', body))
    assert.match(error.message, new RegExp(`more than ${requestLimits.nestingDepth} levels`))
    // Nesting within the limit is still read (and an unknown nested key refused by the schema
    // or kept, as before): no 500.
    const shallow = await postRaw(
      s,
      '/spaces/create',
      `{"name":"Shallow","customer_data":{"address":"1 Main St"}}`,
    )
    assert.equal(shallow.status, 200, JSON.stringify(shallow.body))
    // The same through a query string of dotted keys.
    const query = `${'a.'.repeat(5_000)}b=1`
    await expectBoundedRefusal(s, () => send(s, `/spaces/list?${query}`, {}))
  })

  test('/events/list with 10,000 null event_types is a small 400', async () => {
    const s = server.current
    const body = JSON.stringify({ since: '2020-01-01T00:00:00.000Z', event_types: [] }).replace(
      '[]',
      `[${Array.from({ length: 10_000 }, () => 'null').join(',')}]`,
    )
    const error = await expectBoundedRefusal(s, () => postRaw(s, '/events/list', body))
    const messages = error.validation_errors?.event_types?._errors ?? []
    assert.ok(messages.length > 0 && messages.length <= 6, JSON.stringify(messages))
    // The enum of event types is not listed per item, nor in full.
    assert.ok(error.message.split('acs_credential.deleted').length <= 2)
    assert.match(messages.join(' '), /more items like it/)
  })

  test('10,000 requested access methods are refused; repeated modes make one access method', async () => {
    const s = server.current
    const identity = { user_identity: { full_name: 'Many Cards' }, acs_entrance_ids: [room101] }
    for (const count of [1_000, 10_000]) {
      const body = JSON.stringify({
        ...identity,
        requested_access_methods: Array.from({ length: count }, () => ({ mode: 'card' })),
      })
      const error = await expectBoundedRefusal(s, () => postRaw(s, '/access_grants/create', body))
      assert.ok(error.validation_errors?.requested_access_methods)
    }
    // Within the limit, the same mode asked five times is one card.
    const grant = await s.seam().accessGrants.create({
      ...identity,
      requested_access_methods: Array.from({ length: 5 }, () => ({ mode: 'card' as const })),
    })
    assert.equal(grant.access_method_ids.length, 1)
    assert.equal(grant.requested_access_methods.length, 1)
    // Asking again for a mode the grant has adds nothing either.
    const again = await s.seam().accessGrants.requestAccessMethods({
      access_grant_id: grant.access_grant_id,
      requested_access_methods: [{ mode: 'card' }, { mode: 'card' }],
    })
    assert.deepEqual(again.access_method_ids, grant.access_method_ids)
    // The same mode with two different codes cannot be honoured.
    const conflicting = await send(s, '/access_grants/create', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...identity,
        requested_access_methods: [
          { mode: 'code', code: '1234' },
          { mode: 'code', code: '5678' },
        ],
      }),
    })
    assert.equal(conflicting.status, 400)
  })

  test('a 10,000-id filter is a fast answer; one past the limit is a small 400', async () => {
    const s = server.current
    // Within the limit: served, and /health keeps answering meanwhile.
    const tenThousand = Array.from({ length: 10_000 }, () => randomUUID())
    const served = await withHealthWatch(s, () =>
      postRaw(s, '/acs/encoders/list', JSON.stringify({ acs_encoder_ids: tenThousand })),
    )
    assert.equal(served.status, 200)
    assert.deepEqual((served.body as { acs_encoders: unknown[] }).acs_encoders, [])
    // Past the limit: refused before any query runs.
    const ids = Array.from({ length: requestLimits.arrayItems + 1 }, () => randomUUID())
    const body = JSON.stringify({ acs_encoder_ids: ids })
    const error = await expectBoundedRefusal(s, () => postRaw(s, '/acs/encoders/list', body))
    assert.match(
      error.validation_errors?.acs_encoder_ids?._errors.join(' ') ?? '',
      new RegExp(`at most ${requestLimits.arrayItems}`),
    )
    // As a GET query string, as the SDK writes lists.
    const query = ids.map((_, i) => `acs_system_ids=${i}`).join('&')
    await expectBoundedRefusal(s, () => send(s, `/events/list?since=2020-01-01&${query}`, {}))
    // Ids that are all malformed are one message, not thousands.
    const bad = JSON.stringify({
      acs_encoder_ids: Array.from({ length: 5_000 }, (_, i) => `nope-${i}`),
    })
    const malformed = await expectBoundedRefusal(s, () => postRaw(s, '/acs/encoders/list', bad))
    assert.equal(malformed.validation_errors?.acs_encoder_ids?._errors.length, 1)
  })

  test('huge strings are a small 400 naming the parameter', async () => {
    const s = server.current
    for (const length of [requestLimits.stringLength + 1, 900_000]) {
      const body = JSON.stringify({ acs_system_id: hotel, search: 'x'.repeat(length) })
      const error = await expectBoundedRefusal(s, () => postRaw(s, '/acs/credentials/list', body))
      assert.ok(error.validation_errors?.search, JSON.stringify(error))
      assert.ok(!error.message.includes('xxxxxxxxxx'), 'the value is not echoed')
    }
    // A parameter name of 500,000 characters is not echoed back in full either.
    const name = 'k'.repeat(500_000)
    const answer = await postRaw(s, '/acs/systems/list', `{"${name}": [1, {"x": null}]}`)
    assert.ok(answer.status < 500)
    assert.ok(answer.bytes < maxErrorBytes || answer.status === 200)
  })

  test('many refused requests at once do not stop other clients', async () => {
    const s = server.current
    const body = JSON.stringify({
      since: '2020-01-01T00:00:00.000Z',
      event_types: Array.from({ length: 10_000 }, () => null),
    })
    await expectBoundedRefusal(s, async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => postRaw(s, '/events/list', body)),
      )
      return answers[0] as Answer
    })
  })
})
