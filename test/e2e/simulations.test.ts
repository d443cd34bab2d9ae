import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isSeamActionAttemptFailedError, type SeamHttp } from '@seamapi/http/connect'
import {
  backOffice,
  expectApiError,
  frontDesk,
  newCardCredential,
  newSaltoPin,
  since,
  unknownId,
} from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * The four /acs/encoders/simulate/* endpoints, every variant and scenario the
 * document defines: each changes only the next encoding or scan on that encoder.
 */
const newCard = async (seam: SeamHttp, name: string) =>
  (
    await newCardCredential(seam, name, {
      starts_at: '2026-02-01T15:00:00.000Z',
      ends_at: '2026-02-03T11:00:00.000Z',
    })
  ).credential

/** Encodes and returns the failed attempt's error type, or 'success'. */
const encodeOutcome = async (seam: SeamHttp, encoder: string, credentialId: string) => {
  try {
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: encoder,
      acs_credential_id: credentialId,
    })
    return 'success'
  } catch (error) {
    if (isSeamActionAttemptFailedError(error)) return error.code
    throw error
  }
}

const scan = async (seam: SeamHttp, encoder: string) => {
  try {
    const attempt = await seam.acs.encoders.scanCredential({ acs_encoder_id: encoder })
    if (attempt.action_type !== 'SCAN_CREDENTIAL' || attempt.status !== 'success') {
      assert.fail(`unexpected attempt ${JSON.stringify(attempt)}`)
    }
    return attempt.result
  } catch (error) {
    if (isSeamActionAttemptFailedError(error)) return error.code
    throw error
  }
}

forEachDatabase('encoder simulations', (kind) => {
  const server = useServer(kind)

  describe('next_credential_encode_will_fail', () => {
    test('fails the next encoding on that encoder only, with the default error, and changes nothing', async () => {
      const seam = server.current.seam()
      const credential = await newCard(seam, 'Fail Default')
      await seam.acs.encoders.simulate.nextCredentialEncodeWillFail({ acs_encoder_id: frontDesk })
      // The other encoder is not affected.
      const other = await newCard(seam, 'Other Encoder')
      assert.equal(await encodeOutcome(seam, backOffice, other.acs_credential_id), 'success')

      assert.equal(
        await encodeOutcome(seam, frontDesk, credential.acs_credential_id),
        'no_credential_on_encoder',
      )
      const unchanged = await seam.acs.credentials.get({
        acs_credential_id: credential.acs_credential_id,
      })
      assert.equal(unchanged.is_issued, false)
      assert.equal(unchanged.card_number, null)
      const issued = await seam.events.list({
        since,
        acs_credential_id: credential.acs_credential_id,
      })
      assert.deepEqual(issued, [])
      // Normal behaviour returns.
      assert.equal(await encodeOutcome(seam, frontDesk, credential.acs_credential_id), 'success')
    })

    test('every error code of both variants', async () => {
      const seam = server.current.seam()
      for (const error_code of ['no_credential_on_encoder', 'encoding_interrupted'] as const) {
        const credential = await newCard(seam, `Fail ${error_code}`)
        await seam.acs.encoders.simulate.nextCredentialEncodeWillFail({
          acs_encoder_id: frontDesk,
          error_code,
        })
        assert.equal(await encodeOutcome(seam, frontDesk, credential.acs_credential_id), error_code)
      }
      for (const error_code of ['uncategorized_error', 'action_attempt_expired'] as const) {
        const credential = await newCard(seam, `Fail ${error_code}`)
        await seam.acs.encoders.simulate.nextCredentialEncodeWillFail({
          acs_encoder_id: frontDesk,
          error_code,
        })
        assert.equal(await encodeOutcome(seam, frontDesk, credential.acs_credential_id), error_code)
      }
    })

    test('with acs_credential_id, only that credential fails', async () => {
      const seam = server.current.seam()
      const target = await newCard(seam, 'Targeted')
      const bystander = await newCard(seam, 'Bystander')
      await seam.acs.encoders.simulate.nextCredentialEncodeWillFail({
        acs_encoder_id: frontDesk,
        acs_credential_id: target.acs_credential_id,
        error_code: 'uncategorized_error',
      })
      assert.equal(await encodeOutcome(seam, frontDesk, bystander.acs_credential_id), 'success')
      assert.equal(
        await encodeOutcome(seam, frontDesk, target.acs_credential_id),
        'uncategorized_error',
      )
      assert.equal(await encodeOutcome(seam, frontDesk, target.acs_credential_id), 'success')
    })

    test('next_credential_encode_will_succeed replaces a pending failure', async () => {
      const seam = server.current.seam()
      const credential = await newCard(seam, 'Rescued')
      await seam.acs.encoders.simulate.nextCredentialEncodeWillFail({ acs_encoder_id: frontDesk })
      await seam.acs.encoders.simulate.nextCredentialEncodeWillSucceed({
        acs_encoder_id: frontDesk,
        scenario: 'credential_is_issued',
      })
      assert.equal(await encodeOutcome(seam, frontDesk, credential.acs_credential_id), 'success')
    })

    test('unknown encoders and credentials are 404s', async () => {
      const seam = server.current.seam()
      await expectApiError(
        seam.acs.encoders.simulate.nextCredentialEncodeWillFail({
          acs_encoder_id: unknownId,
        }),
        404,
        'acs_encoder_not_found',
      )
      await expectApiError(
        seam.acs.encoders.simulate.nextCredentialEncodeWillFail({
          acs_encoder_id: frontDesk,
          acs_credential_id: unknownId,
          error_code: 'uncategorized_error',
        }),
        404,
        'acs_credential_not_found',
      )
    })
  })

  describe('scanning', () => {
    test('next_credential_scan_will_fail, both variants', async () => {
      const seam = server.current.seam()
      await seam.acs.encoders.simulate.nextCredentialScanWillFail({ acs_encoder_id: backOffice })
      assert.equal(await scan(seam, backOffice), 'no_credential_on_encoder')
      const credential = await newCard(seam, 'Scan Fail')
      await seam.acs.encoders.simulate.nextCredentialScanWillFail({
        acs_encoder_id: backOffice,
        acs_credential_id_on_seam: credential.acs_credential_id,
        error_code: 'uncategorized_error',
      })
      assert.equal(await scan(seam, backOffice), 'uncategorized_error')
      await seam.acs.encoders.simulate.nextCredentialScanWillFail({
        acs_encoder_id: backOffice,
        error_code: 'action_attempt_expired',
      })
      assert.equal(await scan(seam, backOffice), 'action_attempt_expired')
      // Normal behaviour returns.
      assert.equal(typeof (await scan(seam, backOffice)), 'object')
    })

    test('credential_exists_on_seam and credential_on_encoder_needs_update', async () => {
      const seam = server.current.seam()
      const credential = await newCard(seam, 'Scanned Guest')
      assert.equal(await encodeOutcome(seam, frontDesk, credential.acs_credential_id), 'success')
      const issued = await seam.acs.credentials.get({
        acs_credential_id: credential.acs_credential_id,
      })
      // Another guest's card now lies on the encoder.
      const other = await newCard(seam, 'Next Guest')
      assert.equal(await encodeOutcome(seam, frontDesk, other.acs_credential_id), 'success')

      await seam.acs.encoders.simulate.nextCredentialScanWillSucceed({
        acs_encoder_id: frontDesk,
        acs_credential_id_on_seam: credential.acs_credential_id,
      })
      const exists = await scan(seam, frontDesk)
      assert.ok(typeof exists === 'object')
      assert.equal(exists.acs_credential_on_seam?.acs_credential_id, credential.acs_credential_id)
      assert.equal(exists.acs_credential_on_encoder?.card_number, issued.card_number)
      assert.deepEqual(exists.warnings, [])

      await seam.acs.encoders.simulate.nextCredentialScanWillSucceed({
        acs_encoder_id: frontDesk,
        scenario: 'credential_on_encoder_needs_update',
        acs_credential_id_on_seam: credential.acs_credential_id,
      })
      const stale = await scan(seam, frontDesk)
      assert.ok(typeof stale === 'object')
      assert.equal(stale.acs_credential_on_encoder?.ends_at, '2026-02-02T11:00:00.000Z')
      assert.deepEqual(stale.warnings, [
        {
          warning_code: 'acs_credential_on_encoder_out_of_sync',
          warning_message:
            'The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ends_at',
        },
      ])

      // Without a simulation the real card lying there is read: the next guest's.
      const real = await scan(seam, frontDesk)
      assert.ok(typeof real === 'object')
      assert.equal(real.acs_credential_on_seam?.acs_credential_id, other.acs_credential_id)
    })

    test('credential_does_not_exist_on_seam and credential_on_encoder_is_empty', async () => {
      const seam = server.current.seam()
      await seam.acs.encoders.simulate.nextCredentialScanWillSucceed({
        acs_encoder_id: backOffice,
        scenario: 'credential_does_not_exist_on_seam',
      })
      const unknown = await scan(seam, backOffice)
      assert.ok(typeof unknown === 'object')
      assert.equal(unknown.acs_credential_on_seam, null)
      assert.equal(unknown.acs_credential_on_encoder?.is_issued, true)
      assert.deepEqual(
        unknown.warnings.map((w) => w.warning_code),
        ['acs_credential_on_seam_not_found'],
      )

      await seam.acs.encoders.simulate.nextCredentialScanWillSucceed({
        acs_encoder_id: backOffice,
        scenario: 'credential_on_encoder_is_empty',
      })
      const empty = await scan(seam, backOffice)
      assert.ok(typeof empty === 'object')
      assert.equal(empty.acs_credential_on_seam, null)
      assert.equal(empty.acs_credential_on_encoder?.is_issued, false)
      assert.equal(empty.acs_credential_on_encoder?.ends_at, null)
      assert.deepEqual(empty.warnings, [])
    })

    test('a card whose credential was deleted on the server is reported as not found', async () => {
      const seam = server.current.seam()
      const credential = await newCard(seam, 'Checked Out')
      assert.equal(await encodeOutcome(seam, backOffice, credential.acs_credential_id), 'success')
      await seam.acs.credentials.delete({ acs_credential_id: credential.acs_credential_id })
      const result = await scan(seam, backOffice)
      assert.ok(typeof result === 'object')
      assert.equal(result.acs_credential_on_seam, null)
      assert.deepEqual(
        result.warnings.map((w) => w.warning_code),
        ['acs_credential_on_seam_not_found'],
      )
    })
  })

  describe('encoding errors', () => {
    test('a credential of another access system, or not a card, is refused at once', async () => {
      const seam = server.current.seam()
      const pin = await newSaltoPin(seam, 'Pin User')
      await expectApiError(
        seam.acs.encoders.encodeCredential({
          acs_encoder_id: frontDesk,
          acs_credential_id: pin.acs_credential_id,
        }),
        400,
        'invalid_input',
        /Only card credentials can be encoded/,
      )
      // A Salto KS tag is a card, but of another access system: Salto KS assigns it itself.
      assert.ok(pin.acs_user_id)
      const tag = await seam.acs.credentials.create({
        acs_user_id: pin.acs_user_id,
        access_method: 'card',
      })
      assert.equal(tag.is_issued, true)
      assert.equal(tag.external_type, 'salto_ks_tag')
      await expectApiError(
        seam.acs.encoders.encodeCredential({
          acs_encoder_id: frontDesk,
          acs_credential_id: tag.acs_credential_id,
        }),
        400,
        'invalid_input',
        /different access system/,
      )
      await expectApiError(
        seam.acs.encoders.encodeCredential({
          acs_encoder_id: frontDesk,
          acs_credential_id: unknownId,
        }),
        404,
        'acs_credential_not_found',
      )
      await expectApiError(
        seam.acs.encoders.encodeCredential({
          acs_encoder_id: unknownId,
          acs_credential_id: pin.acs_credential_id,
        }),
        404,
        'acs_encoder_not_found',
      )
    })
  })
})

forEachDatabase('a credential deleted while its encoding is pending', (kind) => {
  // An API-only process holds the attempt pending until the credential is gone.
  const server = useServer(kind, { env: { KEYSMITH_WORKERS: 'off' } })

  test('the attempt fails with credential_deleted and writes nothing', async () => {
    const apiOnly = server.current.seam()
    const credential = await newCard(apiOnly, 'Gone Guest')
    const pending = await apiOnly.acs.encoders.encodeCredential(
      { acs_encoder_id: frontDesk, acs_credential_id: credential.acs_credential_id },
      { waitForActionAttempt: false },
    )
    await apiOnly.acs.credentials.delete({ acs_credential_id: credential.acs_credential_id })
    await server.current.restart({ KEYSMITH_WORKERS: 'on' })
    const seam = server.current.seam()
    try {
      await seam.actionAttempts.get(
        { action_attempt_id: pending.action_attempt_id },
        { waitForActionAttempt: true },
      )
      assert.fail('the attempt should have failed')
    } catch (error) {
      assert.ok(isSeamActionAttemptFailedError(error), String(error))
      assert.equal(error.code, 'credential_deleted')
    }
  })
})
