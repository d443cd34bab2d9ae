import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type SeamHttp, SeamHttpApiError } from '@seamapi/http/connect'
import { assertResource } from '../support/contract.js'
import { eventually } from '../support/poll.js'
import {
  backOffice,
  finishedAttempt,
  frontDesk,
  fullNames,
  hotel,
  room101,
  sandboxGuest,
  scanCard,
  since,
} from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * /workspaces/get and /workspaces/reset_sandbox: a reset is an action attempt that
 * empties the sandbox and seeds it again with the same ids.
 */

const sandboxWorkspaceId = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'

const notFound = async (call: Promise<unknown>, type: string): Promise<void> => {
  try {
    await call
  } catch (error) {
    assert.ok(error instanceof SeamHttpApiError, `expected an API error, got ${error}`)
    assert.equal(error.statusCode, 404)
    assert.equal(error.code, type)
    return
  }
  assert.fail(`expected a 404 ${type}, but the call succeeded`)
}

/** What a reset must restore: the sandbox's systems, doors and encoders, and its seeding events. */
const snapshot = async (seam: SeamHttp) => {
  const systems = await seam.acs.systems.list()
  const entrances = await seam.acs.entrances.list({ limit: 1000 })
  const encoders = await seam.acs.encoders.list({
    acs_system_ids: systems.map((s) => s.acs_system_id),
  })
  const events = await seam.events.list({ since })
  const groups = await seam.acs.accessGroups.list()
  return {
    accessGroups: groups.map((g) => [g.acs_access_group_id, g.acs_system_id, g.name]),
    systems: systems.map((s) => [s.acs_system_id, s.name, s.external_type, s.connected_account_id]),
    entrances: entrances.map((e) => [e.acs_entrance_id, e.acs_system_id, e.display_name]),
    encoders: encoders.map((e) => [e.acs_encoder_id, e.acs_system_id, e.display_name]),
    eventTypes: events.map((e) => e.event_type).sort(),
  }
}

/** A guest with a card for Room 101, encoded at `encoderId`. */
const encodeGuest = async (seam: SeamHttp, name: string, encoderId: string) => {
  const user = await seam.acs.users.create({ acs_system_id: hotel, full_name: name })
  const credential = await seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [room101],
    starts_at: '2026-07-01T15:00:00.000Z',
    ends_at: '2026-07-03T11:00:00.000Z',
  })
  const encoded = await seam.acs.encoders.encodeCredential({
    acs_encoder_id: encoderId,
    acs_credential_id: credential.acs_credential_id,
  })
  return { user, credential, encoded }
}

forEachDatabase('workspaces', (kind) => {
  const server = useServer(kind)

  test('/workspaces/get describes the seeded sandbox workspace', async () => {
    const s = server.current
    const workspace = await s.seam().workspaces.get()
    assertResource('workspace', workspace)
    assert.equal(workspace.workspace_id, sandboxWorkspaceId)
    assert.equal(workspace.is_sandbox, true)
    assert.equal(workspace.name, 'Keysmith Sandbox')

    const viaPost = (await (await s.fetch('/workspaces/get', { json: {} })).json()) as {
      workspace: unknown
      ok: boolean
    }
    assert.equal(viaPost.ok, true)
    assert.deepEqual(viaPost.workspace, workspace)
  })

  test('reset_sandbox: a RESET_SANDBOX_WORKSPACE attempt that restores the sandbox with the same ids', async () => {
    const seam = server.current.seam()
    const seeded = await snapshot(seam)
    assert.equal(seeded.systems.length, 4)
    assert.equal(seeded.entrances.length, 44)
    assert.equal(seeded.encoders.length, 4)
    assert.equal(seeded.accessGroups.length, 3)
    assert.equal(seeded.eventTypes.length, 4 + 4 + 44 + 4)

    // Things made in the sandbox.
    const guest = await encodeGuest(seam, 'Before Reset', frontDesk)
    assert.equal(guest.encoded.status, 'success')
    const scan = await seam.acs.encoders.scanCredential({ acs_encoder_id: frontDesk })
    assert.equal(scan.status, 'success')
    await seam.acs.encoders.simulate.nextCredentialEncodeWillFail({
      acs_encoder_id: backOffice,
      error_code: 'encoding_interrupted',
    })
    const identity = await seam.userIdentities.create({ full_name: 'Before Reset Identity' })
    const space = await seam.spaces.create({ name: 'Before Reset Space' })
    const eventsBefore = await seam.events.list({ since })
    assert.ok(eventsBefore.length > seeded.eventTypes.length)

    // The reset answers at once with a pending attempt, which then succeeds.
    const started = await seam.workspaces.resetSandbox(undefined, { waitForActionAttempt: false })
    assertResource('action_attempt', started)
    assert.equal(started.action_type, 'RESET_SANDBOX_WORKSPACE')
    assert.ok(['pending', 'success'].includes(started.status))
    const done = await finishedAttempt(seam, started.action_attempt_id)
    assertResource('action_attempt', done)
    assert.equal(done.status, 'success')
    assert.equal(done.action_type, 'RESET_SANDBOX_WORKSPACE')
    assert.deepEqual(done.result, {})
    assert.equal(done.error, null)

    // What was made is gone.
    assert.deepEqual(fullNames(await seam.acs.users.list()), [sandboxGuest.fullName])
    assert.deepEqual(
      (await seam.acs.credentials.list({ acs_system_id: hotel })).map((c) => c.acs_credential_id),
      [sandboxGuest.acsCredentialId],
    )
    await notFound(
      seam.acs.users.get({ acs_user_id: guest.user.acs_user_id }),
      'acs_user_not_found',
    )
    await notFound(
      seam.acs.credentials.get({ acs_credential_id: guest.credential.acs_credential_id }),
      'acs_credential_not_found',
    )
    for (const attempt of [guest.encoded, scan]) {
      await notFound(
        seam.actionAttempts.get(
          { action_attempt_id: attempt.action_attempt_id },
          { waitForActionAttempt: false },
        ),
        'action_attempt_not_found',
      )
    }
    assert.deepEqual(
      (await seam.actionAttempts.list()).map((a) => a.action_attempt_id),
      [started.action_attempt_id],
      'only the reset itself remains',
    )
    assert.deepEqual(await seam.userIdentities.list(), [])
    assert.deepEqual(await seam.spaces.list(), [])
    await notFound(
      seam.userIdentities.get({ user_identity_id: identity.user_identity_id }),
      'user_identity_not_found',
    )
    await notFound(seam.spaces.get({ space_id: space.space_id }), 'space_not_found')

    // The events are the seeding's again, all new.
    const eventsAfter = await seam.events.list({ since })
    for (const event of eventsAfter) assertResource('event', event)
    const oldIds = new Set(eventsBefore.map((e) => e.event_id))
    assert.ok(eventsAfter.every((e) => !oldIds.has(e.event_id)))
    assert.ok(eventsAfter.every((e) => e.event_type !== 'acs_user.created'))

    // Same systems, doors and encoders, with the same ids, in the same order.
    assert.deepEqual(await snapshot(seam), seeded)
    const room = await seam.acs.entrances.get({ acs_entrance_id: room101 })
    assert.equal(room.display_name, 'Room 101')

    // Encoding works again, and the simulation set before the reset is gone.
    const after = await encodeGuest(seam, 'After Reset', backOffice)
    assert.equal(after.encoded.status, 'success')
    if (after.encoded.action_type !== 'ENCODE_CREDENTIAL' || after.encoded.status !== 'success') {
      assert.fail('encoding failed')
    }
    assert.equal(after.encoded.result.acs_credential_id, after.credential.acs_credential_id)
    const rescan = await scanCard(seam, backOffice)
    assert.equal(
      rescan.acs_credential_on_seam?.acs_credential_id,
      after.credential.acs_credential_id,
    )
    assert.deepEqual(rescan.warnings, [])
    const issued = await seam.events.list({ since, event_type: 'acs_credential.issued' })
    assert.deepEqual(
      issued.map((e) => e.event_type === 'acs_credential.issued' && e.acs_credential_id),
      [after.credential.acs_credential_id],
    )
  })

  test('the SDK waits for the reset like any action attempt', async () => {
    const seam = server.current.seam()
    await encodeGuest(seam, 'SDK Reset', frontDesk)
    const attempt = await seam.workspaces.resetSandbox()
    assert.equal(attempt.status, 'success')
    assert.equal(attempt.action_type, 'RESET_SANDBOX_WORKSPACE')
    assert.deepEqual(fullNames(await seam.acs.users.list()), [sandboxGuest.fullName])
    assert.equal((await seam.acs.entrances.list({ limit: 1000 })).length, 44)
  })

  test('two resets at once both succeed and seed the sandbox once', async () => {
    const seam = server.current.seam()
    const seeded = await snapshot(seam)
    await encodeGuest(seam, 'Twice', frontDesk)
    const [first, second] = await Promise.all([
      seam.workspaces.resetSandbox(undefined, { waitForActionAttempt: false }),
      seam.workspaces.resetSandbox(undefined, { waitForActionAttempt: false }),
    ])
    assert.ok(first && second)
    try {
      // Each client polls its own attempt, whenever it gets to it: the first looks
      // only once the second reset is over. It must still find its outcome.
      const last = await finishedAttempt(seam, second.action_attempt_id)
      assert.equal(last.status, 'success')
      const earlier = await finishedAttempt(seam, first.action_attempt_id)
      assert.equal(earlier.status, 'success')
      assert.deepEqual(await snapshot(seam), seeded)
    } finally {
      // Whatever happened, leave no reset running into the next test.
      await eventually(
        async () => {
          const attempts = await seam.actionAttempts.list()
          return attempts.every((a) => a.status !== 'pending') ? true : undefined
        },
        { what: 'the resets to finish' },
      )
    }
  })

  test('another sandbox workspace resets to its own ids', async () => {
    const s = server.current
    const created = await s.createWorkspace('Second Sandbox', { sandbox: true })
    const seam = s.seam({ apiKey: created.apiKey })
    const workspace = await seam.workspaces.get()
    assert.equal(workspace.workspace_id, created.workspaceId)
    assert.equal(workspace.is_sandbox, true)
    const seeded = await snapshot(seam)
    assert.equal(seeded.entrances.length, 44)
    assert.ok(seeded.systems.every(([id]) => id !== hotel))

    const sandbox = s.seam()
    const ownGuest = await sandbox.acs.users.create({ acs_system_id: hotel, full_name: 'Stays' })
    const [system] = seeded.systems
    assert.ok(system && typeof system[0] === 'string')
    await seam.acs.users.create({ acs_system_id: system[0], full_name: 'Goes' })

    const attempt = await seam.workspaces.resetSandbox()
    assert.equal(attempt.status, 'success')
    assert.deepEqual(await snapshot(seam), seeded)
    assert.deepEqual(fullNames(await seam.acs.users.list()), [sandboxGuest.fullName])
    // The first sandbox is untouched.
    const stays = await sandbox.acs.users.get({ acs_user_id: ownGuest.acs_user_id })
    assert.equal(stays.full_name, 'Stays')
  })
})
