import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { before, test } from 'node:test'
import { type SeamHttp, SeamHttpApiError, SeamHttpUnauthorizedError } from '@seamapi/http/connect'
import { sql } from 'kysely'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { assertResource } from '../support/contract.js'
import {
  backOffice,
  frontDesk,
  fullNames,
  hotel,
  room101,
  sandboxGuest,
  since,
} from '../support/sandbox.js'
import type { TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Workspaces are isolated: an API key opens its own workspace only, whatever ids it
 * knows. A workspace that is not a sandbox has no simulations and no reset. API keys
 * are kept as hashes only.
 */

const sandboxWorkspaceId = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'

/** Asserts the call fails with a 404 (of `type` when given). */
const notFound = async (call: Promise<unknown>, type?: string): Promise<void> => {
  try {
    await call
  } catch (error) {
    assert.ok(error instanceof SeamHttpApiError, `expected an API error, got ${error}`)
    assert.equal(error.statusCode, 404, `${error.code}: ${error.message}`)
    assert.match(error.code, /_not_found$/)
    if (type !== undefined) assert.equal(error.code, type)
    return
  }
  assert.fail(`expected a 404${type ? ` ${type}` : ''}, but the call succeeded`)
}

/** Asserts the call fails with 403 sandbox_only. */
const sandboxOnly = async (call: Promise<unknown>): Promise<void> => {
  try {
    await call
  } catch (error) {
    assert.ok(error instanceof SeamHttpApiError, `expected an API error, got ${error}`)
    assert.equal(error.statusCode, 403, `${error.code}: ${error.message}`)
    assert.equal(error.code, 'sandbox_only')
    return
  }
  assert.fail('expected 403 sandbox_only, but the call succeeded')
}

/** A list the caller may not see into: empty, or a 404 for the filter's resource. */
const emptyOrNotFound = async <T>(call: Promise<T[]>): Promise<T[]> => {
  try {
    return await call
  } catch (error) {
    if (error instanceof SeamHttpApiError && error.statusCode === 404) return []
    throw error
  }
}

interface Owned {
  acsUserId: string
  acsCredentialId: string
  encodeAttemptId: string
  scanAttemptId: string
  eventIds: string[]
}

/** Makes a user with an encoded card, scans it: something of everything to protect. */
const makeResources = async (
  seam: SeamHttp,
  systemId: string,
  encoderId: string,
  entranceId: string,
): Promise<Owned> => {
  const user = await seam.acs.users.create({ acs_system_id: systemId, full_name: 'Jane Owner' })
  const credential = await seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [entranceId],
    starts_at: '2026-05-01T15:00:00.000Z',
    ends_at: '2026-05-03T11:00:00.000Z',
  })
  const encoded = await seam.acs.encoders.encodeCredential({
    acs_encoder_id: encoderId,
    acs_credential_id: credential.acs_credential_id,
  })
  assert.equal(encoded.status, 'success')
  const scanned = await seam.acs.encoders.scanCredential({ acs_encoder_id: encoderId })
  assert.equal(scanned.status, 'success')
  const events = await seam.events.list({ since, acs_user_id: user.acs_user_id })
  const issued = await seam.events.list({
    since,
    acs_credential_id: credential.acs_credential_id,
  })
  const eventIds = [...events, ...issued].map((e) => e.event_id)
  assert.ok(eventIds.length >= 2)
  return {
    acsUserId: user.acs_user_id,
    acsCredentialId: credential.acs_credential_id,
    encodeAttemptId: encoded.action_attempt_id,
    scanAttemptId: scanned.action_attempt_id,
    eventIds,
  }
}

/** Every way `intruder` could read `owned` (in the seeded sandbox) finds nothing. */
const assertCannotRead = async (intruder: SeamHttp, owned: Owned): Promise<void> => {
  await notFound(intruder.acs.systems.get({ acs_system_id: hotel }), 'acs_system_not_found')
  await notFound(intruder.acs.entrances.get({ acs_entrance_id: room101 }), 'acs_entrance_not_found')
  await notFound(intruder.acs.encoders.get({ acs_encoder_id: frontDesk }), 'acs_encoder_not_found')
  await notFound(intruder.acs.users.get({ acs_user_id: owned.acsUserId }), 'acs_user_not_found')
  await notFound(
    intruder.acs.credentials.get({ acs_credential_id: owned.acsCredentialId }),
    'acs_credential_not_found',
  )
  await notFound(
    intruder.acs.credentials.listAccessibleEntrances({ acs_credential_id: owned.acsCredentialId }),
  )
  await notFound(intruder.acs.entrances.listCredentialsWithAccess({ acs_entrance_id: room101 }))
  for (const id of [owned.encodeAttemptId, owned.scanAttemptId]) {
    await notFound(
      intruder.actionAttempts.get({ action_attempt_id: id }, { waitForActionAttempt: false }),
      'action_attempt_not_found',
    )
  }
  for (const id of owned.eventIds) {
    await notFound(intruder.events.get({ event_id: id }), 'event_not_found')
  }

  assert.deepEqual(await emptyOrNotFound(intruder.acs.users.list({ acs_system_id: hotel })), [])
  assert.deepEqual(
    await emptyOrNotFound(intruder.acs.credentials.list({ acs_user_id: owned.acsUserId })),
    [],
  )
  assert.deepEqual(
    await emptyOrNotFound(intruder.acs.credentials.list({ acs_system_id: hotel })),
    [],
  )
  assert.deepEqual(await emptyOrNotFound(intruder.acs.entrances.list({ acs_system_id: hotel })), [])
  assert.deepEqual(
    await emptyOrNotFound(intruder.acs.entrances.list({ acs_entrance_ids: [room101] })),
    [],
  )
  assert.deepEqual(
    await emptyOrNotFound(
      intruder.acs.entrances.list({ acs_credential_id: owned.acsCredentialId }),
    ),
    [],
  )
  assert.deepEqual(
    await emptyOrNotFound(intruder.acs.encoders.list({ acs_system_ids: [hotel] })),
    [],
  )
  assert.deepEqual(
    await emptyOrNotFound(intruder.acs.encoders.list({ acs_encoder_ids: [frontDesk, backOffice] })),
    [],
  )
  assert.deepEqual(
    await intruder.actionAttempts.list({
      action_attempt_ids: [owned.encodeAttemptId, owned.scanAttemptId],
    }),
    [],
  )
  for (const filter of [
    { acs_user_id: owned.acsUserId },
    { acs_credential_id: owned.acsCredentialId },
    { acs_system_id: hotel },
    { acs_encoder_id: frontDesk },
    { acs_entrance_id: room101 },
    { event_ids: owned.eventIds },
  ]) {
    assert.deepEqual(await intruder.events.list({ since, ...filter }), [], JSON.stringify(filter))
  }

  // Unfiltered lists hold the intruder's own things only.
  const own = (await intruder.workspaces.get()).workspace_id
  const systems = await intruder.acs.systems.list()
  assert.ok(systems.every((s) => s.workspace_id === own && s.acs_system_id !== hotel))
  const users = await intruder.acs.users.list()
  assert.ok(users.every((u) => u.workspace_id === own && u.acs_user_id !== owned.acsUserId))
  const entrances = await intruder.acs.entrances.list()
  assert.ok(entrances.every((e) => e.acs_entrance_id !== room101))
  const attempts = await intruder.actionAttempts.list()
  assert.ok(
    attempts.every(
      (a) =>
        a.action_attempt_id !== owned.encodeAttemptId &&
        a.action_attempt_id !== owned.scanAttemptId,
    ),
  )
  const events = await intruder.events.list({ since })
  for (const event of events) assertResource('event', event)
  assert.ok(events.every((e) => e.workspace_id === own && !owned.eventIds.includes(e.event_id)))
  // The newest event of a type is the intruder's own, if any.
  try {
    const newest = await intruder.events.get({ event_type: 'acs_user.created' })
    assert.equal(newest.workspace_id, own)
  } catch (error) {
    assert.ok(error instanceof SeamHttpApiError && error.statusCode === 404)
  }
}

/** Every way `intruder` could change `owned` (or use the seeded encoders) is a 404. */
const assertCannotChange = async (
  intruder: SeamHttp,
  owned: Owned,
  own: { encoderId?: string; credentialId?: string; sandbox?: boolean } = {},
): Promise<void> => {
  const { acsUserId, acsCredentialId } = owned
  await notFound(intruder.acs.users.update({ acs_user_id: acsUserId, full_name: 'Mallory' }))
  await notFound(intruder.acs.users.suspend({ acs_user_id: acsUserId }))
  await notFound(intruder.acs.users.unsuspend({ acs_user_id: acsUserId }))
  await notFound(intruder.acs.users.delete({ acs_user_id: acsUserId }))
  await notFound(
    intruder.acs.credentials.create({
      acs_user_id: acsUserId,
      access_method: 'card',
      allowed_acs_entrance_ids: [room101],
    }),
  )
  await notFound(
    intruder.acs.users.create({ acs_system_id: hotel, full_name: 'Mallory' }),
    'acs_system_not_found',
  )
  await notFound(
    intruder.acs.credentials.update({
      acs_credential_id: acsCredentialId,
      ends_at: '2030-01-01T00:00:00.000Z',
    }),
    'acs_credential_not_found',
  )
  await notFound(
    intruder.acs.credentials.delete({ acs_credential_id: acsCredentialId }),
    'acs_credential_not_found',
  )
  await notFound(
    intruder.acs.encoders.encodeCredential(
      { acs_encoder_id: frontDesk, acs_credential_id: acsCredentialId },
      { waitForActionAttempt: false },
    ),
  )
  await notFound(
    intruder.acs.encoders.scanCredential(
      { acs_encoder_id: frontDesk },
      { waitForActionAttempt: false },
    ),
    'acs_encoder_not_found',
  )
  if (own.encoderId !== undefined) {
    await notFound(
      intruder.acs.encoders.encodeCredential(
        { acs_encoder_id: own.encoderId, acs_credential_id: acsCredentialId },
        { waitForActionAttempt: false },
      ),
      'acs_credential_not_found',
    )
  }
  if (own.credentialId !== undefined) {
    await notFound(
      intruder.acs.encoders.encodeCredential(
        { acs_encoder_id: frontDesk, acs_credential_id: own.credentialId },
        { waitForActionAttempt: false },
      ),
      'acs_encoder_not_found',
    )
  }
  // Simulations: a 404 in another sandbox, sandbox_only anywhere else.
  const refused = own.sandbox === false ? sandboxOnly : (call: Promise<unknown>) => notFound(call)
  const simulate = intruder.acs.encoders.simulate
  await refused(simulate.nextCredentialEncodeWillFail({ acs_encoder_id: frontDesk }))
  await refused(simulate.nextCredentialEncodeWillSucceed({ acs_encoder_id: frontDesk }))
  await refused(simulate.nextCredentialScanWillFail({ acs_encoder_id: frontDesk }))
  await refused(simulate.nextCredentialScanWillSucceed({ acs_encoder_id: frontDesk }))
  await refused(
    simulate.nextCredentialEncodeWillFail({
      acs_encoder_id: own.encoderId ?? frontDesk,
      acs_credential_id: acsCredentialId,
      error_code: 'uncategorized_error',
    }),
  )
  await refused(
    simulate.nextCredentialScanWillSucceed({
      acs_encoder_id: own.encoderId ?? frontDesk,
      acs_credential_id_on_seam: acsCredentialId,
    }),
  )
}

/**
 * Rows of every table whose text holds one of `needles`, as "<table> holds <needle>…".
 * Reads the database directly: on PGlite, only while the server is stopped.
 */
const rowsContaining = async (server: TestServer, needles: string[]): Promise<string[]> => {
  const database = await openDatabase(loadConfig(server.env))
  try {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(database.db)
    assert.ok(tables.rows.some((t) => t.table_name === 'api_keys'))
    const found: string[] = []
    for (const { table_name } of tables.rows) {
      for (const needle of needles) {
        const rows = await sql<{ n: number }>`
          select count(*)::int as n from ${sql.table(table_name)} t
          where t::text like ${`%${needle}%`}`.execute(database.db)
        if ((rows.rows[0]?.n ?? 0) > 0) found.push(`${table_name} holds ${needle.slice(0, 11)}…`)
      }
    }
    return found
  } finally {
    await database.close()
  }
}

forEachDatabase('security', (kind) => {
  const server = useServer(kind)
  const other = { workspaceId: '', apiKey: '' }
  const production = { workspaceId: '', apiKey: '' }
  let owned: Owned
  let cliKey = ''
  let stored: string[] = []

  before(async () => {
    // The CLI and a direct look at the database while the server is down: on PGlite
    // (one process per folder) this costs one restart instead of one per command.
    const s = server.current
    await s.stop()
    try {
      Object.assign(other, await s.createWorkspace('Other Hotel', { sandbox: true }))
      Object.assign(production, await s.createWorkspace('Production Hotel'))
      const output = await s.cli([
        'api-keys',
        'create',
        '--workspace-id',
        sandboxWorkspaceId,
        '--name',
        'Front desk app',
      ])
      cliKey = /API key: (\S+)/.exec(output)?.[1] ?? ''
      assert.match(cliKey, /^seam_/, output)
      const pat = (await s.createUserWithToken()).token
      // The workspace's name is the control: the search does find what is stored.
      stored = await rowsContaining(s, [
        s.apiKey,
        other.apiKey,
        production.apiKey,
        cliKey,
        pat,
        'Other Hotel',
      ])
    } finally {
      await s.start()
    }
    owned = await makeResources(server.current.seam(), hotel, frontDesk, room101)
  })

  /** The other sandbox's own hotel: its Visionline system, an encoder and a door. */
  const otherHotel = async (seam: SeamHttp) => {
    const systems = await seam.acs.systems.list()
    const system = systems.find((s) => s.external_type === 'visionline_system')
    assert.ok(system)
    const [encoder] = await seam.acs.encoders.list({ acs_system_ids: [system.acs_system_id] })
    const [entrance] = await seam.acs.entrances.list({ acs_system_id: system.acs_system_id })
    assert.ok(encoder && entrance)
    return {
      systemId: system.acs_system_id,
      encoderId: encoder.acs_encoder_id,
      entranceId: entrance.acs_entrance_id,
    }
  }

  test('each key opens its own workspace', async () => {
    const s = server.current
    const own = await s.seam().workspaces.get()
    assert.equal(own.workspace_id, sandboxWorkspaceId)
    assert.equal(own.is_sandbox, true)
    const otherWorkspace = await s.seam({ apiKey: other.apiKey }).workspaces.get()
    assert.equal(otherWorkspace.workspace_id, other.workspaceId)
    assert.equal(otherWorkspace.is_sandbox, true)
    assert.equal(otherWorkspace.name, 'Other Hotel')
    const productionWorkspace = await s.seam({ apiKey: production.apiKey }).workspaces.get()
    assert.equal(productionWorkspace.workspace_id, production.workspaceId)
    assert.equal(productionWorkspace.is_sandbox, false)
    for (const w of [own, otherWorkspace, productionWorkspace]) assertResource('workspace', w)
    assert.equal(
      new Set([own, otherWorkspace, productionWorkspace].map((w) => w.workspace_id)).size,
      3,
    )

    // The other sandbox has the same hotel under ids of its own.
    const mine = await otherHotel(s.seam())
    const theirs = await otherHotel(s.seam({ apiKey: other.apiKey }))
    assert.equal(mine.systemId, hotel)
    assert.notEqual(theirs.systemId, hotel)
    assert.notEqual(theirs.encoderId, frontDesk)
    assert.notEqual(theirs.entranceId, mine.entranceId)
  })

  test('another sandbox workspace cannot read this one, even knowing the ids', async () => {
    await assertCannotRead(server.current.seam({ apiKey: other.apiKey }), owned)
  })

  test('a production workspace cannot read the sandbox, even knowing the ids', async () => {
    await assertCannotRead(server.current.seam({ apiKey: production.apiKey }), owned)
  })

  test('another workspace cannot change, encode, scan or simulate on this one', async () => {
    const s = server.current
    const seam = s.seam()
    const attemptsBefore = await seam.actionAttempts.list()
    const eventsBefore = await seam.events.list({ since })

    const intruder = s.seam({ apiKey: other.apiKey })
    const theirs = await otherHotel(intruder)
    const theirUser = await intruder.acs.users.create({
      acs_system_id: theirs.systemId,
      full_name: 'Their Guest',
    })
    const theirCredential = await intruder.acs.credentials.create({
      acs_user_id: theirUser.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [theirs.entranceId],
      starts_at: '2026-05-01T15:00:00.000Z',
      ends_at: '2026-05-03T11:00:00.000Z',
    })
    await assertCannotChange(intruder, owned, {
      encoderId: theirs.encoderId,
      credentialId: theirCredential.acs_credential_id,
    })
    // Nor can this workspace use theirs (encoding needs both in one workspace).
    await notFound(
      seam.acs.encoders.encodeCredential(
        { acs_encoder_id: theirs.encoderId, acs_credential_id: owned.acsCredentialId },
        { waitForActionAttempt: false },
      ),
      'acs_encoder_not_found',
    )
    await notFound(seam.acs.users.get({ acs_user_id: theirUser.acs_user_id }), 'acs_user_not_found')

    // Their own encoder works for them.
    const encoded = await intruder.acs.encoders.encodeCredential({
      acs_encoder_id: theirs.encoderId,
      acs_credential_id: theirCredential.acs_credential_id,
    })
    assert.equal(encoded.status, 'success')

    await assertCannotChange(s.seam({ apiKey: production.apiKey }), owned, { sandbox: false })

    // Nothing of this workspace changed.
    const user = await seam.acs.users.get({ acs_user_id: owned.acsUserId })
    assert.equal(user.full_name, 'Jane Owner')
    assert.equal(user.is_suspended, false)
    const credential = await seam.acs.credentials.get({ acs_credential_id: owned.acsCredentialId })
    assert.equal(credential.ends_at, '2026-05-03T11:00:00.000Z')
    assert.equal(credential.is_issued, true)
    assert.deepEqual(await seam.actionAttempts.list(), attemptsBefore)
    assert.deepEqual(await seam.events.list({ since }), eventsBefore)
    const encoder = await seam.acs.encoders.get({ acs_encoder_id: frontDesk })
    assertResource('acs_encoder', encoder)
    // No simulation was left on this workspace's encoder: the next scan reads the card.
    const scan = await seam.acs.encoders.scanCredential({ acs_encoder_id: frontDesk })
    assert.equal(scan.status, 'success')
  })

  test('a production workspace: no simulations, no sandbox reset (403 sandbox_only), no sandbox systems', async () => {
    const s = server.current
    const seam = s.seam({ apiKey: production.apiKey })
    assert.deepEqual(await seam.acs.systems.list(), [])
    assert.deepEqual(await seam.acs.entrances.list(), [])
    assert.deepEqual(await seam.acs.users.list(), [])
    assert.deepEqual(await seam.actionAttempts.list(), [])
    assert.deepEqual(await seam.events.list({ since }), [])

    await sandboxOnly(seam.workspaces.resetSandbox())
    for (const encoderId of [frontDesk, randomUUID()]) {
      const simulate = seam.acs.encoders.simulate
      await sandboxOnly(simulate.nextCredentialEncodeWillFail({ acs_encoder_id: encoderId }))
      await sandboxOnly(simulate.nextCredentialEncodeWillSucceed({ acs_encoder_id: encoderId }))
      await sandboxOnly(simulate.nextCredentialScanWillFail({ acs_encoder_id: encoderId }))
      await sandboxOnly(simulate.nextCredentialScanWillSucceed({ acs_encoder_id: encoderId }))
    }
    // The raw answer is Seam's error shape.
    const response = await s.fetch('/workspaces/reset_sandbox', {
      json: {},
      headers: { authorization: `Bearer ${production.apiKey}` },
    })
    assert.equal(response.status, 403)
    const body = (await response.json()) as { error: { type: string; request_id: string } }
    assert.equal(body.error.type, 'sandbox_only')
    assert.equal(body.error.request_id, response.headers.get('seam-request-id'))
    // Refusing created nothing.
    assert.deepEqual(await seam.actionAttempts.list(), [])
  })

  test('resetting another sandbox leaves this one alone', async () => {
    const s = server.current
    const intruder = s.seam({ apiKey: other.apiKey })
    const reset = await intruder.workspaces.resetSandbox()
    assert.equal(reset.status, 'success')
    assert.equal(reset.action_type, 'RESET_SANDBOX_WORKSPACE')
    assert.deepEqual(fullNames(await intruder.acs.users.list()), [sandboxGuest.fullName])

    const seam = s.seam()
    const user = await seam.acs.users.get({ acs_user_id: owned.acsUserId })
    assert.equal(user.full_name, 'Jane Owner')
    await seam.acs.credentials.get({ acs_credential_id: owned.acsCredentialId })
    await seam.actionAttempts.get(
      { action_attempt_id: owned.encodeAttemptId },
      { waitForActionAttempt: false },
    )
    const events = await seam.events.list({ since, event_ids: owned.eventIds })
    assert.equal(events.length, owned.eventIds.length)
    await notFound(
      seam.actionAttempts.get({ action_attempt_id: reset.action_attempt_id }),
      'action_attempt_not_found',
    )
  })

  test('a key made with the CLI opens its workspace; other seam_ keys do not', async () => {
    const s = server.current
    const key = cliKey
    assert.notEqual(key, s.apiKey)

    const workspace = await s.seam({ apiKey: key }).workspaces.get()
    assert.equal(workspace.workspace_id, sandboxWorkspaceId)
    // The first key still works too.
    assert.equal((await s.seam().workspaces.get()).workspace_id, sandboxWorkspaceId)

    const near = [
      `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
      key.slice(0, -1),
      `${key}A`,
      key.toUpperCase().replace(/^SEAM_/, 'seam_'),
      `seam_${randomUUID().replaceAll('-', '')}`,
      `seam_ks_${randomUUID().replaceAll('-', '')}`,
    ]
    for (const apiKey of near) {
      if (apiKey === key) continue
      try {
        await s.seam({ apiKey }).workspaces.get()
        assert.fail(`${apiKey} was accepted`)
      } catch (error) {
        assert.ok(error instanceof SeamHttpUnauthorizedError, `${apiKey}: ${error}`)
      }
    }
  })

  test('API keys and personal access tokens are stored only as hashes', async () => {
    assert.deepEqual(stored, ['workspaces holds Other Hotel…'])
  })
})
