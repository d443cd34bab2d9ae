import assert from 'node:assert/strict'
import { type SeamHttp, SeamHttpApiError } from '@seamapi/http/connect'
import { assertResource } from './contract.js'
import { eventually } from './poll.js'

/** Ids of the seeded sandbox (see README), the ones Seam's guides use. */
export const hotel = '11111111-1111-1111-1111-111111111111'
export const frontDesk = '18ad521a-308e-4182-b1a6-2338b46a2763'
export const backOffice = 'b062df92-91c6-482c-a3f9-6e578f062d36'
export const room101 = '48ebfb50-c531-43c5-b9ea-409f26dabbd7'
/** The guest every sandbox starts with (its ids are Seam's in the default sandbox). */
export const sandboxGuest = {
  fullName: 'Sandbox Guest',
  acsUserId: '0fc82df4-391b-4d00-a234-86378f1c3952',
  acsCredentialId: 'a383871c-331a-42ae-af66-146824505187',
}
/** The sandbox's Salto ProAccess Space site (access groups, one NCoder). */
export const spaceOffices = '44444444-4444-4444-4444-111111111111'
export const spaceEmployees = '44444444-4444-4444-4444-333333333333'
export const spaceFacilities = '44444444-4444-4444-4444-444444444444'
export const spaceNcoder = '44444444-4444-4444-4444-555555555555'
/** Full names of ACS users, to compare a list with what the sandbox starts with. */
export const fullNames = (users: readonly { full_name?: string | null }[]): (string | null)[] =>
  users.map((u) => u.full_name ?? null)
export const unknownId = '00000000-0000-4000-8000-000000000000'

/** A `since` before anything a test server recorded. */
export const since = '2020-01-01T00:00:00.000Z'

/** A new ACS user in the hotel with a card credential for Room 101. */
export const newCardCredential = async (
  seam: SeamHttp,
  name: string,
  times: { starts_at?: string; ends_at?: string } = {},
) => {
  const user = await seam.acs.users.create({ acs_system_id: hotel, full_name: name })
  const credential = await seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [room101],
    ...times,
  })
  return { user, credential }
}

/** Expects the call to fail with this status and Seam error type; returns the error. */
export const expectApiError = async (
  promise: Promise<unknown>,
  status: number,
  type: string,
  message?: RegExp,
): Promise<SeamHttpApiError> => {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof SeamHttpApiError, `expected an API error, got ${String(error)}`)
    assert.equal(error.statusCode, status)
    assert.equal(error.code, type)
    if (message) assert.match(error.message, message)
    return error
  }
  assert.fail(`expected ${status} ${type}, but the call succeeded`)
}

/** Encodes a credential at an encoder (the SDK waits for the attempt); fails unless it succeeds. */
export const encodeAt = async (seam: SeamHttp, acsEncoderId: string, acsCredentialId: string) => {
  const attempt = await seam.acs.encoders.encodeCredential({
    acs_credential_id: acsCredentialId,
    acs_encoder_id: acsEncoderId,
  })
  assertResource('action_attempt', attempt)
  if (attempt.action_type !== 'ENCODE_CREDENTIAL' || attempt.status !== 'success') {
    assert.fail(`encoding did not succeed: ${JSON.stringify(attempt)}`)
  }
  return attempt.result
}

/** Scans the card lying on an encoder (the SDK waits for the attempt); fails unless it succeeds. */
export const scanCard = async (seam: SeamHttp, acsEncoderId: string) => {
  const attempt = await seam.acs.encoders.scanCredential({ acs_encoder_id: acsEncoderId })
  if (attempt.action_type !== 'SCAN_CREDENTIAL' || attempt.status !== 'success') {
    assert.fail(`scan did not succeed: ${JSON.stringify(attempt)}`)
  }
  return attempt.result
}

/** The sandbox's Salto KS site (PIN codes and tags, no encoders). */
export const saltoSystemId = async (seam: SeamHttp): Promise<string> => {
  const system = (await seam.acs.systems.list()).find((s) => s.external_type === 'salto_ks_site')
  assert.ok(system, 'the sandbox has a Salto KS site')
  return system.acs_system_id
}

/** A new ACS user on the Salto KS site with a PIN code credential. */
export const newSaltoPin = async (seam: SeamHttp, name: string) => {
  const user = await seam.acs.users.create({
    acs_system_id: await saltoSystemId(seam),
    full_name: name,
  })
  return seam.acs.credentials.create({ acs_user_id: user.acs_user_id, access_method: 'code' })
}

/** Polls an action attempt (without the SDK's own waiting) until it is no longer pending. */
export const finishedAttempt = (seam: SeamHttp, actionAttemptId: string, timeoutMs = 10_000) =>
  eventually(
    async () => {
      const attempt = await seam.actionAttempts.get(
        { action_attempt_id: actionAttemptId },
        { waitForActionAttempt: false },
      )
      return attempt.status === 'pending' ? undefined : attempt
    },
    { what: `action attempt ${actionAttemptId} to finish`, intervalMs: 10, timeoutMs },
  )

/** The `acs_credential.issued` and `.reissued` events of a credential. */
export const issuedEvents = (seam: SeamHttp, acsCredentialId: string) =>
  seam.events.list({
    since,
    acs_credential_id: acsCredentialId,
    event_types: ['acs_credential.issued', 'acs_credential.reissued'],
  })
