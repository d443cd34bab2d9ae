import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { before, test } from 'node:test'
import { assertErrorBody, assertResource } from '../support/contract.js'
import {
  expectApiError,
  frontDesk,
  hotel,
  room101,
  sandboxGuest,
  scanCard,
} from '../support/sandbox.js'
import { sandboxWorkspaceId } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Personal access tokens, as Seam has them: one `seam_at…` token opens every workspace
 * its user is a member of, named by the seam-workspace header
 * (`SeamHttp.fromPersonalAccessToken`), and without the header creates and lists
 * workspaces (`SeamHttpWithoutWorkspace`). Which credential an endpoint accepts is the
 * `security` of its operation in the document.
 */

const unauthorized = (call: Promise<unknown>, message?: RegExp) =>
  expectApiError(call, 401, 'unauthorized', message)

forEachDatabase('personal access tokens', (kind) => {
  const server = useServer(kind)
  let jane = { email: '', token: '', tokenId: '' }
  let mallory = { email: '', token: '', tokenId: '' }

  before(async () => {
    const s = server.current
    jane = await s.createUserWithToken({ email: 'jane@hotel.example' })
    // A user of no workspace yet.
    mallory = await s.createUserWithToken({ email: 'mallory@hotel.example', workspaceIds: [] })
  })

  test('a PAT with seam-workspace encodes and scans a card in its workspace', async () => {
    const s = server.current
    const seam = s.seamWithToken(jane.token, sandboxWorkspaceId)
    assert.equal(seam.client.defaults.headers['seam-workspace'], sandboxWorkspaceId)
    const [encoder] = await seam.acs.encoders.list({ acs_encoder_ids: [frontDesk] })
    assert.equal(encoder?.display_name, 'Front Desk')
    const user = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'PAT Guest' })
    assert.equal(user.workspace_id, sandboxWorkspaceId)
    const credential = await seam.acs.credentials.create({
      acs_user_id: user.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [room101],
      starts_at: '2026-07-01T15:00:00.000Z',
      ends_at: '2026-07-03T11:00:00.000Z',
    })
    const encoded = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: frontDesk,
      acs_credential_id: credential.acs_credential_id,
    })
    assert.equal(encoded.status, 'success')
    const scanned = await scanCard(seam, frontDesk)
    assert.equal(scanned.acs_credential_on_seam?.acs_credential_id, credential.acs_credential_id)
    // What the PAT made is the workspace's: the API key sees it.
    const viaKey = await s.seam().acs.credentials.get({
      acs_credential_id: credential.acs_credential_id,
    })
    assert.equal(viaKey.is_issued, true)
  })

  test('SeamHttpWithoutWorkspace creates sandbox and production workspaces and lists them', async () => {
    const s = server.current
    const without = s.seamWithoutWorkspace(jane.token)
    const first = await without.workspaces.list()
    assert.deepEqual(
      first.map((w) => w.workspace_id),
      [sandboxWorkspaceId],
    )
    const sandbox = await without.workspaces.create({
      name: 'Hotel B Sandbox',
      company_name: 'Acme Hotels',
      is_sandbox: true,
      connect_webview_customization: { primary_button_color: '#232426', logo_shape: 'circle' },
    })
    assertResource('workspace', sandbox)
    assert.equal(sandbox.name, 'Hotel B Sandbox')
    assert.equal(sandbox.company_name, 'Acme Hotels')
    assert.equal(sandbox.is_sandbox, true)
    assert.deepEqual(sandbox.connect_webview_customization, {
      primary_button_color: '#232426',
      logo_shape: 'circle',
    })
    const production = await without.workspaces.create({ name: 'Hotel C' })
    assert.equal(production.is_sandbox, false)
    assert.equal(production.company_name, 'Hotel C')

    const listed = await without.workspaces.list()
    for (const w of listed) assertResource('workspace', w)
    assert.deepEqual(
      listed.map((w) => w.workspace_id),
      [sandboxWorkspaceId, sandbox.workspace_id, production.workspace_id],
    )
    // With seam-workspace, /workspaces/list answers the same: the user's workspaces.
    const withWorkspace = await s
      .seamWithToken(jane.token, production.workspace_id)
      .workspaces.list()
    assert.deepEqual(withWorkspace, listed)

    // The new sandbox is seeded like the default one, under ids of its own.
    const inSandbox = s.seamWithToken(jane.token, sandbox.workspace_id)
    assert.equal((await inSandbox.workspaces.get()).workspace_id, sandbox.workspace_id)
    const systems = await inSandbox.acs.systems.list()
    assert.equal(systems.length, 4)
    assert.ok(systems.every((system) => system.acs_system_id !== hotel))
    const visionline = systems.find((system) => system.external_type === 'visionline_system')
    assert.ok(visionline)
    const encoders = await inSandbox.acs.encoders.list({
      acs_system_ids: [visionline.acs_system_id],
    })
    assert.equal(encoders.length, 2)
    assert.equal((await inSandbox.acs.entrances.list({ limit: 1000 })).length, 44)
    // The production workspace is empty.
    const inProduction = s.seamWithToken(jane.token, production.workspace_id)
    assert.deepEqual(await inProduction.acs.systems.list(), [])

    // Other users do not see them.
    assert.deepEqual(await s.seamWithoutWorkspace(mallory.token).workspaces.list(), [])
    // An API key's /workspaces/list is its own workspace.
    assert.deepEqual(
      (await s.seam().workspaces.list()).map((w) => w.workspace_id),
      [sandboxWorkspaceId],
    )
  })

  test('a PAT is refused (401) on a workspace its user is not in, never given its data', async () => {
    const s = server.current
    const intruder = s.seamWithToken(mallory.token, sandboxWorkspaceId)
    await unauthorized(intruder.workspaces.get(), /not a member/)
    await unauthorized(intruder.acs.users.list())
    await unauthorized(intruder.acs.users.get({ acs_user_id: sandboxGuest.acsUserId }))
    await unauthorized(
      intruder.acs.credentials.get({ acs_credential_id: sandboxGuest.acsCredentialId }),
    )
    await unauthorized(intruder.acs.encoders.scanCredential({ acs_encoder_id: frontDesk }))
    await unauthorized(intruder.acs.users.create({ acs_system_id: hotel, full_name: 'Mallory' }))
    // An unknown workspace is answered alike, so the answer tells nothing.
    await unauthorized(
      s.seamWithToken(mallory.token, randomUUID()).workspaces.get(),
      /not a member/,
    )
    await unauthorized(s.seamWithToken(jane.token, randomUUID()).acs.systems.list(), /not a member/)
    // A malformed one too, in Seam's error shape.
    const response = await s.fetch('/workspaces/get', {
      json: {},
      headers: { authorization: `Bearer ${jane.token}`, 'seam-workspace': 'not-a-workspace' },
    })
    assert.equal(response.status, 401)
    const body = (await response.json()) as { error: { type: string; request_id: string } }
    assertErrorBody(body)
    assert.equal(body.error.type, 'unauthorized')
    assert.equal(body.error.request_id, response.headers.get('seam-request-id'))
    // Nothing was created by the refused calls.
    const names = (await s.seam().acs.users.list()).map((u) => u.full_name)
    assert.ok(!names.includes('Mallory'))

    // Made a member, the same token opens the workspace at once.
    await s.cli([
      'users',
      'add-to-workspace',
      '--email',
      mallory.email,
      '--workspace-id',
      sandboxWorkspaceId,
    ])
    assert.equal((await intruder.workspaces.get()).workspace_id, sandboxWorkspaceId)
  })

  test("each endpoint accepts the credentials its operation's security lists", async () => {
    const s = server.current
    const call = async (path: string, headers: Record<string, string>, json: unknown = {}) => {
      const response = await s.fetch(path, { json, headers })
      const body = (await response.json()) as { error?: { type: string; message: string } }
      return { status: response.status, body }
    }
    const pat = { authorization: `Bearer ${jane.token}` }
    const patIn = { ...pat, 'seam-workspace': sandboxWorkspaceId }

    // /workspaces/create: a PAT without the header only.
    const byKey = await call('/workspaces/create', {}, { name: 'By Key' })
    assert.equal(byKey.status, 401)
    assert.match(byKey.body.error?.message ?? '', /does not accept an API key/)
    const withHeader = await call('/workspaces/create', patIn, { name: 'With Header' })
    assert.equal(withHeader.status, 401)
    assert.match(withHeader.body.error?.message ?? '', /without the seam-workspace header/)
    // Workspace endpoints: a PAT needs the header.
    const noHeader = await call('/acs/systems/list', pat)
    assert.equal(noHeader.status, 401)
    assert.match(noHeader.body.error?.message ?? '', /needs the seam-workspace header/)
    // Unknown client session tokens and publishable keys where they do not belong: refused clearly.
    const cst = await call('/acs/credentials/list', { authorization: 'Bearer seam_cst1_abc' })
    assert.equal(cst.status, 401)
    assert.match(cst.body.error?.message ?? '', /client session token is not valid/)
    const cstOnCreate = await call('/workspaces/create', { authorization: 'Bearer seam_cst1_abc' })
    assert.equal(cstOnCreate.status, 401)
    assert.match(cstOnCreate.body.error?.message ?? '', /does not accept a client session token/)
    const publishable = await call('/acs/users/list', { 'seam-publishable-key': 'seam_pk1_abc' })
    assert.equal(publishable.status, 401)
    assert.match(publishable.body.error?.message ?? '', /does not accept a publishable key/)
    // An API key naming another workspace in seam-workspace.
    const crossed = await call('/workspaces/get', { 'seam-workspace': randomUUID() })
    assert.equal(crossed.status, 401)
    // None of these made a workspace.
    const names = (await s.seamWithoutWorkspace(jane.token).workspaces.list()).map((w) => w.name)
    assert.ok(!names.includes('By Key') && !names.includes('With Header'))
    // A revoked-looking or unknown PAT.
    const unknown = await call('/workspaces/list', { authorization: 'Bearer seam_at1_unknown' })
    assert.equal(unknown.status, 401)
    assert.match(unknown.body.error?.message ?? '', /personal access token is not valid/)
  })

  test('/workspaces/get and /workspaces/update through a PAT and through an API key', async () => {
    const s = server.current
    const created = await s
      .seamWithoutWorkspace(jane.token)
      .workspaces.create({ name: 'To Update', is_sandbox: true })
    const seam = s.seamWithToken(jane.token, created.workspace_id)
    await seam.workspaces.update({
      name: 'Updated',
      connect_partner_name: 'Updated Partner',
      connect_webview_customization: { success_message: 'Connected!', logo_shape: 'square' },
    })
    const workspace = await seam.workspaces.get()
    assertResource('workspace', workspace)
    assert.equal(workspace.name, 'Updated')
    assert.equal(workspace.company_name, 'Updated Partner')
    assert.equal(workspace.connect_partner_name, 'Updated Partner')
    assert.deepEqual(workspace.connect_webview_customization, {
      success_message: 'Connected!',
      logo_shape: 'square',
    })

    // An API key of that workspace (made with the CLI while the server runs).
    const output = await s.cli(['api-keys', 'create', '--workspace-id', created.workspace_id])
    const apiKey = /API key: (\S+)/.exec(output)?.[1]
    assert.ok(apiKey)
    const byKey = s.seam({ apiKey })
    await byKey.workspaces.update({ connect_webview_customization: { logo_shape: null } })
    const after = await byKey.workspaces.get()
    assert.equal(after.workspace_id, created.workspace_id)
    assert.deepEqual(after.connect_webview_customization, { success_message: 'Connected!' })
    assert.deepEqual(await seam.workspaces.get(), after)

    await expectApiError(seam.workspaces.update({ name: '  ' }), 400, 'invalid_input', /name/)
    await expectApiError(
      seam.workspaces.update({ organization_id: randomUUID() }),
      400,
      'invalid_input',
      /organization/,
    )
    await expectApiError(
      s.seamWithoutWorkspace(jane.token).workspaces.create({ name: '' }),
      400,
      'invalid_input',
    )
    // The sandbox workspace was not touched.
    assert.equal((await s.seam().workspaces.get()).name, 'Keysmith Sandbox')
  })
})
