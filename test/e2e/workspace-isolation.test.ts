import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { before, test } from 'node:test'
import type { SeamHttp } from '@seamapi/http/connect'
import {
  type JsonSchema,
  operationMethods,
  propertySchemas,
  requestSchema,
  toJsonSchema,
} from '../../src/contract/openapi.js'
import { routes } from '../../src/routes/index.js'
import { assertErrorBody } from '../support/contract.js'
import { eventually } from '../support/poll.js'
import { frontDesk, hotel, room101, since } from '../support/sandbox.js'
import type { TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Workspace isolation, generated from the route registry: every served endpoint whose
 * request names an object by id (`*_id`, `*_ids`) or by key (`*_key`) is called by the
 * seeded sandbox with a second sandbox workspace's ids and keys, one parameter at a
 * time and all at once, as POST and (where the document lists GET) as GET. A new
 * route, or a new id parameter of an old one, joins the sweep by itself; an id
 * parameter of a kind this file does not know fails the test until it is added below.
 *
 * The rule, per kind of endpoint:
 * - No answer is a 5xx, and every error is Seam's error shape.
 * - A 200 never contains any id of the other workspace (no object of it is shown, and
 *   nothing of the caller's now names one).
 * - List endpoints (`/list`, `/list_*`): 200 with none of the other workspace's
 *   objects (a filter naming a foreign object matches nothing), or 404
 *   `<resource>_not_found` (the filter's object is unknown), or 400.
 * - Other endpoints, for the endpoint's own object (`acs_user_id` on `/acs/users/*`):
 *   exactly 404 `<resource>_not_found`, the answer an unknown id gets.
 * - Other endpoints, for any other id (a referenced object: `acs_system_id` on
 *   `/acs/users/create`, `acs_entrance_ids` on `/spaces/add_acs_entrances`): 404
 *   `*_not_found`, or 400 where the document makes the reference a validated input;
 *   never 200.
 * - Keys (`user_identity_key`, `space_key`, `user_identifier_key`, ...) name objects
 *   within the caller's workspace. Reads (`/get`, `/list*`) are swept first, and a
 *   lookup by another workspace's key finds nothing (404 `<resource>_not_found`, or an
 *   empty list). A write may use the same key for an object of the caller's own (200,
 *   still checked by the rule on ids above), and a later write with that key may then
 *   answer 409 `*_already_in_use` about the caller's own object.
 * Then the other workspace is exactly as it was (its lists and its events), and the
 * caller's workspace names none of its ids.
 */

const hotelAccount = '11111111-1111-1111-1111-222222222222'

/** Id kinds Keysmith keeps no objects of (device, access code, ...): nothing to name. */
const notKept = new Set([
  'access_code',
  'connect_webview',
  'customer',
  'customization_profile',
  'device',
  'location',
  'organization',
  'customer_key',
])

/** `allowed_acs_entrance_ids` -> `acs_entrance`, `parent_space_key` -> `space_key`. */
const kindOf = (name: string): string => {
  const bare = name.replace(/^(allowed_|credential_manager_|hid_|parent_)/, '')
  if (bare.endsWith('_key')) return bare
  return bare.replace(/_ids?$/, '')
}

/** The object an endpoint acts on: `/acs/users/get` -> `acs_user`. */
const resourceOf = (path: string): string => {
  const segments = path.split('/').filter(Boolean)
  const plural = segments[0] === 'acs' ? `acs_${segments[1]}` : (segments[0] ?? '')
  return plural.replace(/ies$/, 'y').replace(/s$/, '')
}

const isList = (path: string): boolean => /\/list(_[a-z_]+)?$/.test(path)

/** Reads are swept before writes, while no key of the other workspace names a thing of the caller's. */
const isRead = (path: string): boolean => isList(path) || /\/get$/.test(path)

/** A property names an object when it is a string or an array of strings. */
const namesObject = (schema: JsonSchema): boolean => {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (alternatives) return alternatives.some(namesObject)
  if (schema.type === 'string') return true
  return schema.type === 'array' && (schema.items as JsonSchema | undefined)?.type === 'string'
}

type Known = Record<string, string>

/** A schema-valid value for `schema`, naming the caller's own objects where the name says so. */
const sample = (schema: JsonSchema, name: string, known: Known): unknown => {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (alternatives?.[0]) {
    const nonNull = alternatives.find((a) => a.type !== 'null') ?? alternatives[0]
    return sample(nonNull, name, known)
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...(schema.allOf as JsonSchema[]).map((s) => sample(s, name, known)))
  }
  if (Array.isArray(schema.enum)) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  if (type === 'object' || schema.properties) {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
    const required = (schema.required ?? []) as string[]
    return Object.fromEntries(
      required
        .filter((key) => properties[key])
        .map((key) => [key, sample(properties[key] ?? {}, key, known)]),
    )
  }
  if (type === 'array') {
    const items = (schema.items ?? {}) as JsonSchema
    const singular = name.replace(/s$/, '')
    const count = Math.max(1, Number(schema.minItems ?? 1))
    return Array.from({ length: count }, () => sample(items, singular, known))
  }
  if (type === 'integer' || type === 'number') return 1
  if (type === 'boolean') return false
  if (schema.format === 'uuid') return known[kindOf(name)] ?? randomUUID()
  if (schema.format === 'date-time' || /(_at|since|between)$/.test(name)) {
    return name.startsWith('ends') ? '2030-01-03T11:00:00.000Z' : '2030-01-01T15:00:00.000Z'
  }
  if (schema.format === 'email') return 'guest@example.com'
  if (name.includes('phone')) return '+15555550100'
  if (typeof schema.pattern === 'string' && /\\d/.test(schema.pattern)) return '123456'
  return known[kindOf(name)] ?? 'x'
}

/**
 * The caller's own valid body for probing `name`: of the first alternative of the
 * schema that declares it (so that `user_identity_key` is not sent beside an
 * `user_identity_id` that would be looked up instead).
 */
const baseFor = (schema: JsonSchema, name: string, known: Known): Record<string, unknown> => {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  const declaring = alternatives?.find((a) => propertySchemas(a).has(name))
  const base = sample(declaring ?? schema, '', known) as Record<string, unknown>
  // Lists of events need a time range.
  return propertySchemas(schema).has('since') ? { since, ...base } : base
}

/**
 * The same body with every other id parameter of the alternative declaring `name` set
 * to the caller's own objects, for endpoints that need a companion (`acs_system_id`
 * with `user_identity_id`); with `target`, the endpoint's own object's id too
 * (`user_identity_id` with `client_session_id` on `/client_sessions/grant_access`).
 */
const withCompanions = (
  path: string,
  schema: JsonSchema,
  name: string,
  body: Record<string, unknown>,
  known: Known,
  { target }: { target: boolean },
): Record<string, unknown> => {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  const declaring = alternatives?.find((a) => propertySchemas(a).has(name)) ?? schema
  const companions = [...propertySchemas(declaring)]
    .filter(([other, p]) => other !== name && /(_id|_ids)$/.test(other) && namesObject(p))
    .filter(([other]) => kindOf(other) !== kindOf(name) && known[kindOf(other)] !== undefined)
    .filter(([other]) => target || kindOf(other) !== resourceOf(path))
    .map(([other]) => {
      const value = known[kindOf(other)]
      return [other, other.endsWith('_ids') ? [value] : value]
    })
  return { ...Object.fromEntries(companions), ...body }
}

/** The query string the SDK's serializer writes: arrays as repeated keys; undefined if nested. */
const toQuery = (body: Record<string, unknown>): string | undefined => {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(body)) {
    const values = Array.isArray(value) ? value : [value]
    for (const item of values) {
      if (typeof item === 'object' && item !== null) return undefined
      query.append(key, String(item))
    }
  }
  return query.toString()
}

interface Probe {
  method: 'GET' | 'POST'
  path: string
  /** The parameters set to the other workspace's values. */
  foreign: string[]
  body: Record<string, unknown>
  /** Sent instead, in turn, while `body` is refused for a missing companion ("Provide ..."). */
  retries: Record<string, unknown>[]
}

/** The paths the server serves, destructive ones last (they may remove the caller's objects). */
const servedPaths = (): string[] =>
  routes
    .map((r) => r.path as string)
    .filter((p) => p !== '/workspaces/reset_sandbox')
    .sort((a, b) => Number(/delete|remove|revoke/.test(a)) - Number(/delete|remove|revoke/.test(b)))

const uuids = (text: string): Set<string> =>
  new Set(text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [])

/** What a workspace holds, as its own API key lists it. */
const snapshot = async (
  s: TestServer,
  apiKey: string,
  extra: { accessGrantIds: string[]; actionAttemptIds: string[] },
): Promise<Record<string, unknown>> => {
  const systems = await s.fetch('/acs/systems/list', {
    json: {},
    headers: { authorization: `Bearer ${apiKey}` },
  })
  const { acs_systems } = (await systems.json()) as { acs_systems: { acs_system_id: string }[] }
  const lists: [string, Record<string, unknown>][] = [
    ['/workspaces/get', {}],
    ['/acs/systems/list', {}],
    ['/acs/entrances/list', {}],
    ['/acs/encoders/list', { acs_system_ids: acs_systems.map((s) => s.acs_system_id) }],
    ['/acs/users/list', {}],
    ['/acs/credentials/list', {}],
    ['/user_identities/list', {}],
    ['/spaces/list', {}],
    ['/access_grants/list', {}],
    ...extra.accessGrantIds.map((id): [string, Record<string, unknown>] => [
      '/access_methods/list',
      { access_grant_id: id },
    ]),
    ['/webhooks/list', {}],
    ['/action_attempts/list', { action_attempt_ids: extra.actionAttemptIds }],
    ['/client_sessions/list', {}],
    ['/connected_accounts/list', {}],
    ['/events/list', { since, limit: 1000 }],
  ]
  const result: Record<string, unknown> = {}
  for (const [path, body] of lists) {
    const response = await s.fetch(path, {
      json: body,
      headers: { authorization: `Bearer ${apiKey}` },
    })
    const text = await response.text()
    assert.equal(response.status, 200, `${path}: ${text}`)
    const {
      ok: _ok,
      pagination: _pagination,
      ...rest
    } = JSON.parse(text) as Record<string, unknown>
    result[`${path} ${JSON.stringify(body)}`] = rest
  }
  return result
}

interface Objects {
  identity: string
  user: string
  credential: string
  attempt: string
  space: string
  grant: string
  method: string
  webhook: string
  session: string
  event: string
  group: string
}

/** A guest with everything a guest has, in the workspace `seam` opens. */
const populate = async (
  seam: SeamHttp,
  ids: { system: string; entrance: string; encoder: string },
  tag: string,
): Promise<Objects> => {
  const identity = await seam.userIdentities.create({
    full_name: `${tag} Guest`,
    user_identity_key: `${tag}-identity`,
  })
  const user = await seam.acs.users.create({
    acs_system_id: ids.system,
    full_name: `${tag} Guest`,
    user_identity_id: identity.user_identity_id,
  })
  const credential = await seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [ids.entrance],
  })
  const attempt = await seam.acs.encoders.encodeCredential({
    acs_encoder_id: ids.encoder,
    acs_credential_id: credential.acs_credential_id,
  })
  const space = await seam.spaces.create({
    name: `${tag} Space`,
    space_key: `${tag}-space`,
    acs_entrance_ids: [ids.entrance],
  })
  const grant = await seam.accessGrants.create({
    user_identity_id: identity.user_identity_id,
    access_grant_key: `${tag}-grant`,
    reservation_key: `${tag}-reservation`,
    acs_entrance_ids: [ids.entrance],
    requested_access_methods: [{ mode: 'card' }],
    starts_at: '2026-04-01T15:00:00.000Z',
    ends_at: '2026-04-03T11:00:00.000Z',
  })
  const webhook = await seam.webhooks.create({ url: 'http://127.0.0.1:9/hooks' })
  const session = await seam.clientSessions.create({
    user_identifier_key: `${tag}-session`,
    user_identity_ids: [identity.user_identity_id],
  })
  const [event] = await seam.events.list({ since, limit: 1 })
  // An access group the sandbox came with (its Salto Space site's).
  const [group] = await seam.acs.accessGroups.list()
  assert.ok(group, 'the sandbox has access groups')
  return {
    group: group.acs_access_group_id,
    identity: identity.user_identity_id,
    user: user.acs_user_id,
    credential: credential.acs_credential_id,
    attempt: attempt.action_attempt_id,
    space: space.space_id,
    grant: grant.access_grant_id,
    method: grant.access_method_ids[0] ?? randomUUID(),
    webhook: webhook.webhook_id,
    session: session.client_session_id,
    event: event?.event_id ?? randomUUID(),
  }
}

/** Values by id kind (see kindOf) of a workspace's objects. */
const valuesOf = (
  ids: { system: string; entrance: string; encoder: string; account: string },
  o: Objects,
  tag: string,
): Known => ({
  acs_system: ids.system,
  acs_entrance: ids.entrance,
  acs_encoder: ids.encoder,
  connected_account: ids.account,
  acs_user: o.user,
  acs_access_group: o.group,
  acs_credential: o.credential,
  action_attempt: o.attempt,
  event: o.event,
  user_identity: o.identity,
  space: o.space,
  access_grant: o.grant,
  access_method: o.method,
  webhook: o.webhook,
  client_session: o.session,
  user_identity_key: `${tag}-identity`,
  space_key: `${tag}-space`,
  access_grant_key: `${tag}-grant`,
  reservation_key: `${tag}-reservation`,
  user_identifier_key: `${tag}-session`,
})

/** The hotel's system, entrance, encoder and connected account in the workspace `seam` opens. */
const hotelOf = async (seam: SeamHttp) => {
  const systems = await seam.acs.systems.list()
  const encoders = await seam.acs.encoders.list({
    acs_system_ids: systems.map((s) => s.acs_system_id),
  })
  const [encoder] = encoders
  assert.ok(encoder, 'the sandbox has an encoder')
  const system = encoder.acs_system_id
  const [entrance] = await seam.acs.entrances.list({ acs_system_id: system })
  assert.ok(entrance, 'the hotel has an entrance')
  const { connected_account_id: account } = await seam.acs.systems.get({ acs_system_id: system })
  assert.ok(account, 'the hotel has a connected account')
  return { system, entrance: entrance.acs_entrance_id, encoder: encoder.acs_encoder_id, account }
}

forEachDatabase('Workspace isolation', (kind) => {
  const server = useServer(kind)
  const own = {} as { known: Known; objects: Objects }
  const other = {} as { apiKey: string; workspaceId: string; known: Known; objects: Objects }

  before(async () => {
    const s = server.current
    const seam = s.seam()
    const ownIds = { system: hotel, entrance: room101, encoder: frontDesk, account: hotelAccount }
    own.objects = await populate(seam, ownIds, 'own')
    own.known = valuesOf(ownIds, own.objects, 'own')

    const { workspaceId, apiKey } = await s.createWorkspace('Other Hotel', { sandbox: true })
    const theirs = s.seam({ apiKey })
    const otherIds = await hotelOf(theirs)
    assert.notEqual(otherIds.system, hotel, 'a second sandbox has ids of its own')
    other.apiKey = apiKey
    other.workspaceId = workspaceId
    other.objects = await populate(theirs, otherIds, 'other')
    other.known = valuesOf(otherIds, other.objects, 'other')
  })

  /** Every probe the registry yields, with the foreign parameters it sets. */
  const probes = (): { probes: Probe[]; unknownKinds: string[] } => {
    const list: Probe[] = []
    const unknownKinds: string[] = []
    for (const path of servedPaths()) {
      const schema = toJsonSchema(requestSchema(path), { request: true })
      const base = sample(schema, '', own.known) as Record<string, unknown>
      const foreign = [...propertySchemas(schema)]
        .filter(([name, p]) => /(_id|_ids|_key)$/.test(name) && namesObject(p))
        .map(([name]) => name)
        .filter((name) => {
          const k = kindOf(name)
          if (notKept.has(k) || notKept.has(k.replace(/_key$/, ''))) return false
          if (other.known[k] === undefined) unknownKinds.push(`${path} ${name}`)
          return other.known[k] !== undefined
        })
      if (foreign.length === 0) continue
      const foreignValue = (name: string): unknown => {
        const value = other.known[kindOf(name)]
        return name.endsWith('_ids') ? [value] : value
      }
      const sets = [...foreign.map((name) => [name]), ...(foreign.length > 1 ? [foreign] : [])]
      const methods = operationMethods(path)
      for (const names of sets) {
        const body = {
          ...(names.length === 1 ? baseFor(schema, names[0] ?? '', own.known) : base),
          ...Object.fromEntries(names.map((n) => [n, foreignValue(n)])),
        }
        const [only, ...more] = names
        const retries =
          only !== undefined && more.length === 0
            ? [false, true].map((target) =>
                withCompanions(path, schema, only, body, own.known, { target }),
              )
            : []
        const probe = { path, foreign: names, body, retries }
        list.push({ method: 'POST', ...probe })
        if (methods.includes('get')) list.push({ method: 'GET', ...probe })
      }
    }
    return { probes: list, unknownKinds }
  }

  /** What is wrong with the answer to `probe`, by the rule at the top of this file. */
  const judge = (probe: Probe, status: number, text: string, foreignIds: Set<string>) => {
    if (status >= 500) return `${status}: ${text.slice(0, 300)}`
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return `${status}, not JSON: ${text.slice(0, 200)}`
    }
    if (status === 200) {
      const leaked = [...uuids(text)].filter((id) => foreignIds.has(id))
      if (leaked.length > 0)
        return `200 naming the other workspace's ${leaked.join(', ')}: ${text.slice(0, 400)}`
      if (isList(probe.path)) return undefined
      if (!isRead(probe.path) && probe.foreign.every((name) => name.endsWith('_key'))) {
        return undefined
      }
      return `200 for another workspace's ${probe.foreign.join(', ')}: ${text.slice(0, 300)}`
    }
    try {
      assertErrorBody(body)
    } catch (error) {
      return String(error)
    }
    const { type } = (body as { error: { type: string } }).error
    const target = `${resourceOf(probe.path)}_id`
    // A key is the endpoint's own object on a lookup; on a write it may name a new one.
    const targets = isRead(probe.path) ? [target, `${resourceOf(probe.path)}_key`] : [target]
    const [only, ...more] = probe.foreign
    if (!isList(probe.path) && more.length === 0 && targets.includes(only ?? '')) {
      return status === 404 && type === `${resourceOf(probe.path)}_not_found`
        ? undefined
        : `expected 404 ${resourceOf(probe.path)}_not_found, got ${status} ${type}`
    }
    if (status === 404 && type.endsWith('_not_found')) return undefined
    const setsKey = probe.foreign.some((name) => name.endsWith('_key'))
    if (status === 409 && setsKey && !isRead(probe.path) && type.endsWith('_already_in_use')) {
      return undefined
    }
    if (status === 400) return undefined
    return `${status} ${type}: ${text.slice(0, 200)}`
  }

  test("every endpoint naming another workspace's objects finds nothing and changes nothing", async () => {
    const s = server.current
    const { probes: all, unknownKinds } = probes()
    assert.deepEqual(unknownKinds, [], 'id parameters of a kind this sweep has no values for')
    // The registry's endpoints, as served (a new one joins by itself).
    const paths = new Set(all.map((p) => p.path))
    for (const path of [
      '/acs/users/get',
      '/access_grants/create',
      '/client_sessions/grant_access',
    ]) {
      assert.ok(paths.has(path), `${path} is swept`)
    }

    const theirs = s.seam({ apiKey: other.apiKey })
    const settled = () =>
      eventually(
        async () => {
          const attempts = await theirs.actionAttempts.list({
            action_attempt_ids: [other.objects.attempt],
          })
          return attempts.every((a) => a.status !== 'pending') ? true : undefined
        },
        { what: "the other workspace's attempts to finish" },
      )
    await settled()
    const extra = {
      accessGrantIds: [other.objects.grant],
      actionAttemptIds: [other.objects.attempt],
    }
    const ownExtra = {
      accessGrantIds: [own.objects.grant],
      actionAttemptIds: [own.objects.attempt],
    }
    const ownBefore = JSON.stringify(await snapshot(s, s.apiKey, ownExtra))
    const before = await snapshot(s, other.apiKey, extra)
    // Ids only the other workspace has (a sandbox may share some seeded ids with another).
    const ownIdsBefore = uuids(ownBefore)
    const foreignIds = new Set(
      [...uuids(JSON.stringify(before)), other.workspaceId].filter((id) => !ownIdsBefore.has(id)),
    )
    for (const id of [other.known.acs_system, other.known.acs_user, other.known.client_session]) {
      assert.ok(id && foreignIds.has(id), `${id} is the other workspace's own`)
    }

    const problems: string[] = []
    const tally = new Map<string, number>()
    let retried = 0
    const sweep = async (queue: Probe[]) => {
      const worker = async () => {
        for (let probe = queue.shift(); probe; probe = queue.shift()) {
          const send = (body: Record<string, unknown>) => {
            const query = probe.method === 'GET' ? toQuery(body) : ''
            if (query === undefined) return undefined
            return s.fetch(
              probe.method === 'GET' ? `${probe.path}?${query}` : probe.path,
              probe.method === 'GET' ? {} : { json: body },
            )
          }
          let response = await send(probe.body)
          if (!response) continue
          let text = await response.text()
          for (const retry of probe.retries) {
            if (response.status !== 400 || !text.includes('"Provide ')) break
            response = (await send(retry)) ?? response
            text = await response.text()
            retried += 1
          }
          const answer = `${probe.method} ${response.status}`
          tally.set(answer, (tally.get(answer) ?? 0) + 1)
          const problem = judge(probe, response.status, text, foreignIds)
          if (problem) {
            problems.push(`${probe.method} ${probe.path} ${probe.foreign.join('+')}: ${problem}`)
          }
        }
      }
      await Promise.all(Array.from({ length: 4 }, worker))
    }
    await sweep(all.filter((p) => isRead(p.path)))
    await sweep(all.filter((p) => !isRead(p.path)))
    assert.deepEqual(
      problems,
      [],
      `${problems.length} of ${all.length} probes:\n${problems.join('\n')}`,
    )

    // The other workspace is exactly as it was.
    await settled()
    assert.deepEqual(await snapshot(s, other.apiKey, extra), before)
    // The caller's workspace names nothing of the other's.
    const ownAfter = JSON.stringify(await snapshot(s, s.apiKey, ownExtra))
    const named = [...uuids(ownAfter)].filter((id) => foreignIds.has(id))
    assert.deepEqual(named, [], "the caller's workspace names the other's objects")
    const sent = [...tally.values()].reduce((a, b) => a + b, 0)
    assert.ok(paths.size >= 60 && sent >= 250, `${sent} probes on ${paths.size} endpoints`)
    const answers = [...tally].sort().map(([k, n]) => `${k}: ${n}`)
    console.log(
      `# ${kind.name}: ${sent} probes on ${paths.size} endpoints (${answers.join(', ')}; ${retried} sent again with companions)`,
    )
  })
})
