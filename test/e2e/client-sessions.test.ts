import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { SeamHttp, SeamHttpUnauthorizedError } from '@seamapi/http/connect'
import { operationSecurities, requestSchema } from '../../src/contract/openapi.js'
import { documentSecurityTable } from '../../src/http/security.js'
import { routes } from '../../src/routes/index.js'
import { assertErrorBody, assertResource } from '../support/contract.js'
import {
  expectApiError,
  frontDesk,
  hotel,
  room101,
  saltoSystemId,
  since,
} from '../support/sandbox.js'
import { sandboxWorkspaceId, TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Client sessions and publishable keys: a browser holding the workspace's publishable
 * key gets the session of its user_identifier_key (`SeamHttp.fromPublishableKey`), the
 * backend grants it a guest's user identity, and the session's token then reaches that
 * guest's ACS users, credentials and entrances, and nothing of any other guest, on
 * exactly the endpoints whose document security lists `client_session`.
 */

const room102 = 'f74e4879-5991-4e2f-a368-888983dcfbfc'

/** Served endpoints whose security lists a plain client session, from the document. */
const clientSessionEndpoints = (): string[] => {
  const served = new Set(routes.map((r) => r.path as string))
  const table = documentSecurityTable()
  return [
    ...new Set(
      operationSecurities()
        .filter(
          (o) => served.has(o.path) && table.accepted(o.method, o.path)?.has('client_session'),
        )
        .map((o) => o.path),
    ),
  ].sort()
}

interface Guest {
  userIdentityId: string
  acsUserId: string
  acsCredentialId: string
  key: string
}

const makeGuest = async (seam: SeamHttp, name: string, entrance: string): Promise<Guest> => {
  const identity = await seam.userIdentities.create({
    full_name: name,
    email_address: `${name.toLowerCase()}@guests.example`,
  })
  const user = await seam.acs.users.create({
    acs_system_id: hotel,
    full_name: name,
    user_identity_id: identity.user_identity_id,
  })
  const credential = await seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [entrance],
    starts_at: '2026-07-01T15:00:00.000Z',
    ends_at: '2026-07-03T11:00:00.000Z',
  })
  return {
    userIdentityId: identity.user_identity_id,
    acsUserId: user.acs_user_id,
    acsCredentialId: credential.acs_credential_id,
    key: `guest-${name.toLowerCase()}-${Math.random().toString(36).slice(2)}`,
  }
}

forEachDatabase('client sessions', (kind) => {
  const server = useServer(kind)
  let publishableKey = ''
  let ann: Guest
  let bob: Guest
  let bobAttemptId = ''
  let bobSessionId = ''
  let bobEventId = ''
  let saltoAccount = ''
  let saltoSite = ''

  const browser = (key: string) =>
    SeamHttp.fromPublishableKey(publishableKey, key, { endpoint: server.current.url })

  before(async () => {
    const s = server.current
    const output = await s.cli(['publishable-keys', 'create', '--workspace-id', sandboxWorkspaceId])
    publishableKey = /Key: (seam_pk\S+)/.exec(output)?.[1] ?? ''
    assert.ok(publishableKey, output)
    const seam = s.seam()
    ann = await makeGuest(seam, 'Ann', room101)
    bob = await makeGuest(seam, 'Bob', room102)
    const attempt = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: frontDesk,
      acs_credential_id: bob.acsCredentialId,
    })
    bobAttemptId = attempt.action_attempt_id
    const bobSession = await seam.clientSessions.create({
      user_identifier_key: bob.key,
      user_identity_id: bob.userIdentityId,
    })
    bobSessionId = bobSession.client_session_id
    const [event] = await seam.events.list({ since, acs_user_id: bob.acsUserId })
    bobEventId = event?.event_id ?? ''
    assert.ok(bobEventId)
    saltoSite = await saltoSystemId(seam)
    saltoAccount = (await seam.acs.systems.get({ acs_system_id: saltoSite })).connected_account_id
  })

  test('a browser with a publishable key sees its own guest once granted, nothing else', async () => {
    const s = server.current
    const seam = s.seam()
    const annBrowser = await browser(ann.key)
    // Before the backend grants it anything, the session reaches nothing.
    assert.deepEqual(await annBrowser.acs.credentials.list(), [])
    assert.deepEqual(await annBrowser.userIdentities.list(), [])
    // The backend finds the session by its key and grants Ann's identity.
    await seam.clientSessions.grantAccess({
      user_identifier_key: ann.key,
      user_identity_id: ann.userIdentityId,
    })
    const credentials = await annBrowser.acs.credentials.list()
    for (const c of credentials) assertResource('acs_credential', c)
    assert.deepEqual(
      credentials.map((c) => c.acs_credential_id),
      [ann.acsCredentialId],
    )
    assert.deepEqual(
      (await annBrowser.acs.users.list()).map((u) => u.acs_user_id),
      [ann.acsUserId],
    )
    assert.deepEqual(
      (await annBrowser.userIdentities.list()).map((u) => u.user_identity_id),
      [ann.userIdentityId],
    )
    assert.deepEqual(
      (await annBrowser.acs.systems.list()).map((system) => system.acs_system_id),
      [hotel],
    )
    assert.deepEqual(
      (await annBrowser.acs.entrances.list()).map((e) => e.acs_entrance_id),
      [room101],
    )
    assert.equal((await annBrowser.workspaces.get()).workspace_id, sandboxWorkspaceId)
    const own = await annBrowser.clientSessions.get()
    assertResource('client_session', own)
    assert.equal(own.user_identifier_key, ann.key)
    assert.deepEqual(own.user_identity_ids, [ann.userIdentityId])
    // The same key from another tab gets the same session.
    const again = await browser(ann.key)
    assert.equal((await again.clientSessions.get()).client_session_id, own.client_session_id)
    // Endpoints whose security does not list client sessions refuse it.
    await expectApiError(
      annBrowser.acs.credentials.get({ acs_credential_id: ann.acsCredentialId }),
      401,
      'unauthorized',
    )
    await expectApiError(annBrowser.acs.encoders.list(), 401, 'unauthorized', /customer/)
    await expectApiError(
      annBrowser.clientSessions.grantAccess({ user_identity_id: bob.userIdentityId }),
      401,
      'unauthorized',
    )
  })

  test("every endpoint that accepts client sessions, called with another guest's ids, leaks nothing", async () => {
    const s = server.current
    const annBrowser = await browser(ann.key)
    const token = (await annBrowser.clientSessions.get()).token
    const bobIds = [
      bob.userIdentityId,
      bob.acsUserId,
      bob.acsCredentialId,
      bobAttemptId,
      bobSessionId,
      bobEventId,
      room102,
      // Ann's guest reaches nothing of the Salto KS site.
      saltoSite,
      saltoAccount,
    ]
    // Values by parameter name: everything names Bob's things, or what Ann does not reach.
    const values: Record<string, unknown> = {
      user_identity_id: bob.userIdentityId,
      user_identity_ids: [bob.userIdentityId],
      acs_user_id: bob.acsUserId,
      acs_user_ids: [bob.acsUserId],
      acs_credential_id: bob.acsCredentialId,
      acs_entrance_id: room102,
      acs_entrance_ids: [room102],
      acs_system_id: saltoSite,
      acs_system_ids: [saltoSite],
      connected_account_id: saltoAccount,
      connected_account_ids: [saltoAccount],
      action_attempt_id: bobAttemptId,
      client_session_id: bobSessionId,
      user_identifier_key: bob.key,
      event_id: bobEventId,
      event_ids: [bobEventId],
      since,
    }
    const endpoints = clientSessionEndpoints()
    // The document's list, as served (a new one joins the sweep by itself).
    assert.ok(endpoints.includes('/acs/credentials/list') && endpoints.includes('/events/list'))
    assert.ok(endpoints.includes('/connected_accounts/get'))
    assert.ok(endpoints.length >= 16, endpoints.join(', '))
    for (const path of endpoints) {
      const properties = Object.keys(
        (requestSchema(path).properties as Record<string, unknown> | undefined) ?? {},
      )
      const bodies = [
        Object.fromEntries(properties.filter((p) => p in values).map((p) => [p, values[p]])),
        ...properties
          .filter((p) => p in values && p !== 'since')
          .map((p) => ({
            [p]: values[p],
            ...(properties.includes('since') ? { since } : {}),
          })),
        properties.includes('since') ? { since } : {},
      ]
      for (const body of bodies) {
        const response = await s.fetch(path, {
          json: body,
          headers: { authorization: `Bearer ${token}`, 'client-session-token': token },
        })
        const text = await response.text()
        assert.notEqual(response.status, 500, `${path} ${JSON.stringify(body)}: ${text}`)
        if (response.status !== 200) {
          // An error may echo the id asked for; it shows nothing else.
          assertErrorBody(JSON.parse(text))
          assert.ok([400, 401, 403, 404].includes(response.status), `${path}: ${text}`)
          continue
        }
        for (const id of bobIds) {
          assert.ok(!text.includes(id), `${path} ${JSON.stringify(body)} leaked ${id}: ${text}`)
        }
      }
    }
    // Bob's own session sees Bob's credential (the sweep's ids were real).
    const bobBrowser = await browser(bob.key)
    assert.deepEqual(
      (await bobBrowser.acs.credentials.list()).map((c) => c.acs_credential_id),
      [bob.acsCredentialId],
    )
  })

  test('client sessions through the API key: create, get, list, grant, revoke, delete', async () => {
    const s = server.current
    const seam = s.seam()
    const created = await seam.clientSessions.create({
      user_identifier_key: 'front-desk-kiosk',
      connected_account_ids: ['11111111-1111-1111-1111-222222222222'],
    })
    assertResource('client_session', created)
    assert.match(created.token, /^seam_cst/)
    assert.deepEqual(created.connected_account_ids, ['11111111-1111-1111-1111-222222222222'])
    // A connected account's access systems are reached whole.
    const kiosk = SeamHttp.fromClientSessionToken(created.token, { endpoint: s.url })
    const credentialIds = (await kiosk.acs.credentials.list()).map((c) => c.acs_credential_id)
    assert.ok(
      credentialIds.includes(ann.acsCredentialId) && credentialIds.includes(bob.acsCredentialId),
    )
    assert.deepEqual(
      (await kiosk.acs.systems.list()).map((system) => system.acs_system_id),
      [hotel],
    )
    const got = await seam.clientSessions.get({ client_session_id: created.client_session_id })
    assert.deepEqual(got, created)
    const listed = await seam.clientSessions.list({ user_identifier_key: 'front-desk-kiosk' })
    assert.deepEqual(
      listed.map((c) => c.client_session_id),
      [created.client_session_id],
    )
    const byIdentity = await seam.clientSessions.list({ user_identity_id: bob.userIdentityId })
    assert.deepEqual(
      byIdentity.map((c) => c.client_session_id),
      [bobSessionId],
    )
    const same = await seam.clientSessions.getOrCreate({ user_identifier_key: 'front-desk-kiosk' })
    assert.equal(same.client_session_id, created.client_session_id)
    assert.equal(same.token, created.token)

    await expectApiError(
      seam.clientSessions.create({ user_identity_id: '00000000-0000-4000-8000-000000000000' }),
      404,
      'user_identity_not_found',
    )
    await expectApiError(
      seam.clientSessions.create({ customer_key: 'acme' }),
      400,
      'invalid_input',
      /customers/,
    )
    await expectApiError(
      seam.clientSessions.create({ expires_at: '2001-01-01T00:00:00.000Z' }),
      400,
      'invalid_input',
      /expires_at/,
    )
    await expectApiError(
      seam.clientSessions.get({ client_session_id: '00000000-0000-4000-8000-000000000000' }),
      404,
      'client_session_not_found',
    )
    // A publishable key cannot grant itself access.
    const response = await s.fetch('/client_sessions/get_or_create', {
      json: { user_identifier_key: 'mallory', user_identity_id: ann.userIdentityId },
      headers: { authorization: '', 'seam-publishable-key': publishableKey },
    })
    assert.equal(response.status, 403)
    assertErrorBody(await response.json())
    // An unknown publishable key.
    await assert.rejects(
      SeamHttp.fromPublishableKey('seam_pk1_unknown', 'x-key', { endpoint: s.url }),
      (error) => error instanceof SeamHttpUnauthorizedError,
    )

    await seam.clientSessions.revoke({ client_session_id: created.client_session_id })
    await expectApiError(kiosk.acs.credentials.list(), 401, 'unauthorized', /revoked/)
    // Revoked, it is still listed; a new get_or_create makes a fresh session.
    assert.equal(
      (await seam.clientSessions.list({ client_session_id: created.client_session_id })).length,
      1,
    )
    const fresh = await seam.clientSessions.getOrCreate({ user_identifier_key: 'front-desk-kiosk' })
    assert.notEqual(fresh.client_session_id, created.client_session_id)
    await seam.clientSessions.delete({ client_session_id: fresh.client_session_id })
    await expectApiError(
      seam.clientSessions.get({ client_session_id: fresh.client_session_id }),
      404,
      'client_session_not_found',
    )
    await expectApiError(
      SeamHttp.fromClientSessionToken(fresh.token, { endpoint: s.url }).acs.users.list(),
      401,
      'unauthorized',
    )
  })

  test('an expired client session is refused', async () => {
    const s = server.current
    const seam = s.seam()
    const session = await seam.clientSessions.create({
      user_identity_id: ann.userIdentityId,
      expires_at: new Date(Date.now() + 1500).toISOString(),
    })
    const guest = SeamHttp.fromClientSessionToken(session.token, { endpoint: s.url })
    assert.equal((await guest.acs.credentials.list()).length, 1)
    await new Promise((resolve) => setTimeout(resolve, 1800))
    await expectApiError(guest.acs.credentials.list(), 401, 'unauthorized', /expired/)
  })

  test('a revoked client session stops at once in every process', async () => {
    const s = server.current
    const servers: TestServer[] = [s]
    // On PostgreSQL a second process (API only) shares the database.
    let second: TestServer | undefined
    if (kind.name === 'postgres') {
      second = await new TestServer(s.database, {
        apiKey: s.apiKey,
        env: { KEYSMITH_WORKERS: 'off' },
      }).start()
      servers.push(second)
    }
    try {
      const session = await s.seam().clientSessions.create({ user_identity_id: ann.userIdentityId })
      for (const each of servers) {
        const guest = SeamHttp.fromClientSessionToken(session.token, { endpoint: each.url })
        assert.equal((await guest.acs.credentials.list()).length, 1)
      }
      await s.seam().clientSessions.revoke({ client_session_id: session.client_session_id })
      for (const each of servers) {
        const guest = SeamHttp.fromClientSessionToken(session.token, { endpoint: each.url })
        await expectApiError(guest.acs.credentials.list(), 401, 'unauthorized', /revoked/)
      }
    } finally {
      await second?.stop()
    }
  })
})
