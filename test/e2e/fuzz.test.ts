import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import fc from 'fast-check'
import {
  type JsonSchema,
  operationMethods,
  requestSchema,
  toJsonSchema,
} from '../../src/contract/openapi.js'
import { routes } from '../../src/routes/index.js'
import { assertErrorBody, assertResponse } from '../support/contract.js'
import { createSampleObjects } from '../support/sample-objects.js'
import { backOffice, frontDesk, hotel, room101, sandboxGuest } from '../support/sandbox.js'
import type { TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * A property-based fuzz of every served endpoint, generated from the OpenAPI document
 * with fast-check: requests whose parameters follow each endpoint's request schema
 * (naming the sandbox's real objects most of the time, so they reach the rules and
 * the database), with any parameter now and then replaced by arbitrary JSON, sent as
 * POST bodies or GET query strings, with the API key or a bad credential. Whatever
 * the input: no 5xx, a seam-request-id header on every answer, every error in Seam's
 * shape with that request id, and every success valid against the document.
 *
 * The seed is fixed (KEYSMITH_FUZZ_SEED), so a run is repeatable and a failure
 * replays; KEYSMITH_FUZZ_RUNS sets the number of requests per database (`npm run
 * fuzz` makes a big run). The hand-written hostile sweep of every endpoint is in
 * http-contract.test.ts.
 */

const seed = Number(process.env.KEYSMITH_FUZZ_SEED ?? 20_261_201)
const numRuns = Number(process.env.KEYSMITH_FUZZ_RUNS ?? 1000)

/** Emptied by this, every later request would find nothing: fuzzed apart, at the end. */
const resetting = '/workspaces/reset_sandbox'

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Ids of the sandbox's objects by parameter name (filled in before the run). */
type Known = Map<string, string[]>

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    'x'.repeat(5_000),
    '\u0000',
    '2030-02-30T25:61:00Z',
    '-infinity',
    -1,
    1e308,
    Number.MAX_SAFE_INTEGER,
    [],
    {},
    null,
  ),
)

const regExp = (pattern: string): RegExp | undefined => {
  try {
    return new RegExp(pattern)
  } catch {
    return undefined
  }
}

/** An arbitrary of values for `schema`, mostly valid, now and then anything. */
const parameterValue = (
  schema: JsonSchema,
  name: string,
  known: Known,
  depth = 0,
): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 12, arbitrary: validValueOf(schema, name, known, depth) },
    { weight: 1, arbitrary: hostile },
  )

const validValueOf = (
  schema: JsonSchema,
  name: string,
  known: Known,
  depth: number,
): fc.Arbitrary<unknown> => {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    return fc.oneof(...alternatives.map((a) => validValueOf(a, name, known, depth)))
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    return fc
      .tuple(...(schema.allOf as JsonSchema[]).map((a) => validValueOf(a, name, known, depth)))
      .map((parts) => Object.assign({}, ...parts.filter(isObject)))
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum)
  if ('const' in schema) return fc.constant(schema.const)
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type]
  const type = types.find((t) => t !== 'null') ?? types[0]
  const value = ((): fc.Arbitrary<unknown> => {
    if (type === 'object' || isObject(schema.properties)) {
      if (depth > 3) return fc.constant({})
      const properties = (isObject(schema.properties) ? schema.properties : {}) as Record<
        string,
        JsonSchema
      >
      const required = new Set((schema.required ?? []) as string[])
      if (Object.keys(properties).length === 0) {
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.boolean()), {
          maxKeys: 3,
        })
      }
      const arbitraries = Object.fromEntries(
        Object.entries(properties).map(([key, p]) => [
          key,
          parameterValue(p, key, known, depth + 1),
        ]),
      )
      const requiredKeys = [...required].filter((key) => key in properties)
      return fc.oneof(
        { weight: 8, arbitrary: fc.record(arbitraries, { requiredKeys }) },
        // Required parameters are left out now and then too.
        { weight: 1, arbitrary: fc.record(arbitraries, { requiredKeys: [] }) },
      )
    }
    if (type === 'array') {
      const items = (isObject(schema.items) ? schema.items : {}) as JsonSchema
      return fc.array(validValueOf(items, name.replace(/s$/, ''), known, depth + 1), {
        maxLength: 4,
      })
    }
    if (type === 'integer') {
      return fc.integer({
        min: typeof schema.minimum === 'number' ? schema.minimum : -5,
        max: typeof schema.maximum === 'number' ? schema.maximum : 2_000,
      })
    }
    if (type === 'number') return fc.double({ noNaN: true, min: -1e6, max: 1e6 })
    if (type === 'boolean') return fc.boolean()
    if (type === 'null') return fc.constant(null)
    if (type !== 'string') return fc.jsonValue({ maxDepth: 2 })
    if (schema.format === 'uuid') {
      const ids = known.get(name) ?? []
      const every = [...new Set([...known.values()].flat())]
      return fc.oneof(
        ...(ids.length > 0 ? [{ weight: 6, arbitrary: fc.constantFrom(...ids) }] : []),
        { weight: 2, arbitrary: fc.constantFrom(...every) },
        { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
        { weight: 1, arbitrary: fc.uuid() },
      )
    }
    if (schema.format === 'date-time' || /(_at|since|before|after)$/.test(name)) {
      return fc
        .date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString())
    }
    if (schema.format === 'email') return fc.emailAddress()
    if (schema.format === 'uri' || name.endsWith('url')) return fc.webUrl()
    const pattern = typeof schema.pattern === 'string' ? regExp(schema.pattern) : undefined
    if (pattern) return fc.stringMatching(pattern).filter((s) => s.length < 200)
    return fc.string({
      minLength: typeof schema.minLength === 'number' ? schema.minLength : 0,
      maxLength: Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 40, 200),
    })
  })()
  return types.includes('null')
    ? fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) })
    : value
}

interface FuzzRequest {
  path: string
  method: string
  params: Record<string, unknown>
  credential: 'api key' | 'none' | 'bad'
}

/** A query string as the SDK writes one: arrays as repeated keys, objects as dotted keys. */
const toQuery = (params: Record<string, unknown>): string => {
  const query = new URLSearchParams()
  const add = (key: string, value: unknown, depth: number) => {
    if (value === undefined) return
    if (Array.isArray(value)) {
      for (const item of value) add(key, item, depth + 1)
    } else if (isObject(value) && depth < 4) {
      for (const [k, v] of Object.entries(value)) add(`${key}.${k}`, v, depth + 1)
    } else {
      query.append(key, typeof value === 'string' ? value : JSON.stringify(value))
    }
  }
  for (const [key, value] of Object.entries(params)) add(key, value, 0)
  return query.toString()
}

const requestsOf = (paths: string[], known: Known): fc.Arbitrary<FuzzRequest> =>
  fc.constantFrom(...paths).chain((path) => {
    const schema = toJsonSchema(requestSchema(path), { request: true })
    const methods = operationMethods(path).map((m) => m.toUpperCase())
    const params = validValueOf(schema, '', known, 0).map((v) => (isObject(v) ? v : {}))
    return fc.record({
      path: fc.constant(path),
      method: fc.constantFrom(...methods),
      params: fc.oneof(
        { weight: 12, arbitrary: params },
        { weight: 1, arbitrary: hostile },
      ) as fc.Arbitrary<Record<string, unknown>>,
      // Bad credentials are swept in http-contract.test.ts; a few here.
      credential: fc.oneof(
        { weight: 18, arbitrary: fc.constant<FuzzRequest['credential']>('api key') },
        { weight: 1, arbitrary: fc.constantFrom<FuzzRequest['credential']>('none', 'bad') },
      ),
    })
  })

/** Sends the request; returns what breaks the contract, or undefined. */
const problemOf = async (
  server: TestServer,
  request: FuzzRequest,
  statuses: Map<number, number>,
): Promise<string | undefined> => {
  const headers: Record<string, string> = {
    authorization:
      request.credential === 'api key'
        ? `Bearer ${server.apiKey}`
        : request.credential === 'bad'
          ? 'Bearer seam_not_a_key_0000'
          : '',
  }
  const init: RequestInit = { method: request.method, headers }
  let url = request.path
  if (request.method === 'GET') {
    const query = isObject(request.params) ? toQuery(request.params) : ''
    if (query) url += `?${query}`
  } else {
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(request.params)
  }
  const response = await server.fetch(url, { ...init, signal: AbortSignal.timeout(30_000) })
  const text = await response.text()
  const requestId = response.headers.get('seam-request-id')
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
  if (response.status >= 500) return `${response.status}: ${text.slice(0, 500)}`
  if (!requestId) return `${response.status} without a seam-request-id header`
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return `${response.status} whose body is not JSON: ${text.slice(0, 200)}`
  }
  try {
    if (response.status >= 400) {
      assertErrorBody(body)
      const { error } = body as { error: { request_id: string; message: string } }
      if (error.request_id !== requestId) return 'request_id differs from seam-request-id'
      if (/\bat .+:\d+:\d+|node_modules/.test(error.message)) return 'a stack trace in the message'
    } else {
      assertResponse(request.method, request.path, body)
    }
  } catch (error) {
    return `${response.status}: ${String(error).slice(0, 800)}`
  }
  return undefined
}

forEachDatabase(
  'fuzz of every served endpoint',
  (kind) => {
    const server = useServer(kind, { env: { KEYSMITH_RATE_LIMIT: 'off' } })
    const known: Known = new Map()
    const remember = (name: string, ...ids: string[]) =>
      known.set(name, [...(known.get(name) ?? []), ...ids])

    before(async () => {
      const seam = server.current.seam()
      const { user, credential, attempt, identity, space, grant, event } =
        await createSampleObjects(seam, 'Fuzz')
      const [account] = await seam.connectedAccounts.list()
      remember('acs_system_id', hotel)
      remember('acs_encoder_id', frontDesk, backOffice)
      remember('acs_entrance_id', room101)
      remember('acs_entrance_ids', room101)
      remember('allowed_acs_entrance_id', room101)
      remember('acs_user_id', user.acs_user_id, sandboxGuest.acsUserId)
      remember('acs_user_ids', user.acs_user_id)
      remember('acs_credential_id', credential.acs_credential_id, sandboxGuest.acsCredentialId)
      remember('acs_credential_ids', credential.acs_credential_id)
      remember('action_attempt_id', attempt.action_attempt_id)
      remember('action_attempt_ids', attempt.action_attempt_id)
      remember('user_identity_id', identity.user_identity_id)
      remember('user_identity_ids', identity.user_identity_id)
      remember('space_id', space.space_id)
      remember('space_ids', space.space_id)
      remember('access_grant_id', grant.access_grant_id)
      remember('access_grant_ids', grant.access_grant_id)
      remember('access_method_id', ...grant.access_method_ids)
      if (event) remember('event_id', event.event_id)
      if (account) remember('connected_account_id', account.connected_account_id)
      remember('workspace_id', '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63')
    })

    const fuzz = async (paths: string[], runs: number): Promise<string> => {
      const problems: string[] = []
      const statuses = new Map<number, number>()
      try {
        await fc.assert(
          fc.asyncProperty(requestsOf(paths, known), async (request) => {
            const problem = await problemOf(server.current, request, statuses)
            if (problem) problems.push(`${request.method} ${request.path}: ${problem}`)
            return problem === undefined
          }),
          { seed, numRuns: runs, endOnFailure: true },
        )
      } catch (error) {
        // fast-check's report names the seed, the path to replay and the request.
        assert.fail(`${String(error)}\nfirst problem: ${problems[0] ?? ''}`)
      }
      return [...statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')
    }

    test(`${numRuns} generated requests: no 5xx, Seam's error shape, valid successes (seed ${seed})`, async (t) => {
      const statuses = await fuzz(
        routes.map((r) => r.path as string).filter((path) => path !== resetting),
        numRuns,
      )
      t.diagnostic(`answers by status: ${statuses}`)
    })

    test(`${resetting} fuzzed last (it empties the sandbox)`, async () => {
      await fuzz([resetting], 5)
    })
  },
  { timeoutMs: 300_000 },
)
