import type { RouteRequestBody } from '@seamapi/types/connect'
import { findAcsCredential, findLatestIssuedCardCredential } from '../db/acs-credentials.js'
import { findAcsCard, findAcsEncoder, updateAcsEncoder } from '../db/acs-encoders.js'
import { type AcsEncoderRow, type Executor, json, type SandboxEncoderState } from '../db/schema.js'
import type { EncodeSimulation, ScanSimulation } from '../providers/types.js'
import { requireCredential } from './acs-credentials.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { DomainError, invalidInput, notFound } from './errors.js'

/**
 * The sandbox's `/acs/encoders/simulate/*` endpoints: each sets what the next
 * encoding or scan on one encoder does, kept in the encoder's sandbox-only
 * `sandbox_state`. An encoding or scan request takes the simulation set for its
 * encoder (so it applies to exactly that request) and hands it to the sandbox
 * driver with the attempt; production encoders never have one.
 */

const stateOf = (encoder: AcsEncoderRow): SandboxEncoderState => encoder.sandbox_state ?? {}

/** The next-encode simulation for this credential, taken off the encoder; null if none applies. */
export const takeEncodeSimulation = async (
  db: Executor,
  encoder: AcsEncoderRow,
  acsCredentialId: string,
): Promise<EncodeSimulation | null> => {
  const state = stateOf(encoder)
  const pending = (state.next_encode as EncodeSimulation | undefined) ?? null
  const applies =
    pending !== null &&
    (pending.outcome !== 'error' ||
      pending.acs_credential_id === undefined ||
      pending.acs_credential_id === acsCredentialId)
  if (!applies) return null
  const { next_encode: _taken, ...rest } = state
  await updateAcsEncoder(db, encoder.acs_encoder_id, { sandbox_state: json(rest) })
  return pending
}

/** The next-scan simulation, taken off the encoder; null if none is set. */
export const takeScanSimulation = async (
  db: Executor,
  encoder: AcsEncoderRow,
): Promise<ScanSimulation | null> => {
  const state = stateOf(encoder)
  const pending = (state.next_scan as ScanSimulation | undefined) ?? null
  if (pending === null) return null
  const { next_scan: _taken, ...rest } = state
  await updateAcsEncoder(db, encoder.acs_encoder_id, { sandbox_state: json(rest) })
  return pending
}

const requireEncoder = async (
  db: Executor,
  scope: WorkspaceScope,
  acsEncoderId: string,
): Promise<AcsEncoderRow> => {
  const row = await findAcsEncoder(db, scope.workspace_id, acsEncoderId, { forUpdate: true })
  if (!row) throw notFound('acs_encoder', acsEncoderId)
  return row
}

const assertSandbox = (scope: WorkspaceScope): void => {
  if (!scope.is_sandbox) {
    throw new DomainError(
      'forbidden',
      'sandbox_only',
      'Simulations are only available in sandbox workspaces',
    )
  }
}

const setSimulation = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsEncoderId: string,
  decide: (
    db: Executor,
    encoder: AcsEncoderRow,
  ) => Promise<{
    next_encode?: EncodeSimulation
    next_scan?: ScanSimulation
  }>,
): Promise<void> => {
  assertSandbox(scope)
  await ctx.db.transaction().execute(async (db) => {
    const encoder = await requireEncoder(db, scope, acsEncoderId)
    const { next_encode, next_scan } = await decide(db, encoder)
    await updateAcsEncoder(db, encoder.acs_encoder_id, {
      sandbox_state: json({
        ...stateOf(encoder),
        ...(next_encode ? { next_encode } : {}),
        ...(next_scan ? { next_scan } : {}),
      }),
    })
  })
}

const requireCredentialOfEncoder = async (
  db: Executor,
  scope: WorkspaceScope,
  encoder: AcsEncoderRow,
  acsCredentialId: string,
  parameter: string,
): Promise<void> => {
  const credential = await requireCredential(db, scope, acsCredentialId)
  if (credential.acs_system_id !== encoder.acs_system_id) {
    throw invalidInput(
      'The credential belongs to a different access system than the encoder',
      parameter,
    )
  }
}

export const simulateNextEncodeFailure = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/simulate/next_credential_encode_will_fail'>,
): Promise<void> =>
  setSimulation(ctx, scope, input.acs_encoder_id, async (db, encoder) => {
    const credentialId = 'acs_credential_id' in input ? input.acs_credential_id : undefined
    if (credentialId !== undefined) {
      await requireCredentialOfEncoder(db, scope, encoder, credentialId, 'acs_credential_id')
    }
    return {
      next_encode: {
        outcome: 'error',
        error_code: input.error_code ?? 'no_credential_on_encoder',
        ...(credentialId !== undefined ? { acs_credential_id: credentialId } : {}),
      },
    }
  })

export const simulateNextEncodeSuccess = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/simulate/next_credential_encode_will_succeed'>,
): Promise<void> =>
  setSimulation(ctx, scope, input.acs_encoder_id, async () => ({
    next_encode: { outcome: 'success' },
  }))

export const simulateNextScanFailure = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/simulate/next_credential_scan_will_fail'>,
): Promise<void> =>
  setSimulation(ctx, scope, input.acs_encoder_id, async (db, encoder) => {
    const credentialId =
      'acs_credential_id_on_seam' in input ? input.acs_credential_id_on_seam : undefined
    if (credentialId !== undefined) {
      await requireCredentialOfEncoder(
        db,
        scope,
        encoder,
        credentialId,
        'acs_credential_id_on_seam',
      )
    }
    return {
      next_scan: {
        outcome: 'error',
        error_code: input.error_code ?? 'no_credential_on_encoder',
        ...(credentialId !== undefined ? { acs_credential_id_on_seam: credentialId } : {}),
      },
    }
  })

/**
 * The card the next scan reads. For a card of a known credential, the credential is
 * chosen now: the one named, else the one on the card lying on the encoder, else the
 * access system's most recently issued card.
 */
export const simulateNextScanSuccess = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/simulate/next_credential_scan_will_succeed'>,
): Promise<void> =>
  setSimulation(ctx, scope, input.acs_encoder_id, async (db, encoder) => {
    const scenario = input.scenario ?? 'credential_exists_on_seam'
    if (scenario === 'credential_on_encoder_is_empty')
      return { next_scan: { outcome: 'empty_card' } }
    if (scenario === 'credential_does_not_exist_on_seam') {
      return { next_scan: { outcome: 'unknown_credential' } }
    }
    const named = 'acs_credential_id_on_seam' in input ? input.acs_credential_id_on_seam : undefined
    let credentialId = named
    if (credentialId !== undefined) {
      await requireCredentialOfEncoder(
        db,
        scope,
        encoder,
        credentialId,
        'acs_credential_id_on_seam',
      )
    } else {
      const card = encoder.acs_card_id ? await findAcsCard(db, encoder.acs_card_id) : undefined
      const onCard = card?.acs_credential_id
        ? await findAcsCredential(db, scope.workspace_id, card.acs_credential_id)
        : undefined
      credentialId = (onCard ?? (await findLatestIssuedCardCredential(db, encoder.acs_system_id)))
        ?.acs_credential_id
    }
    if (credentialId === undefined) {
      throw invalidInput(
        'No card credential of this access system has been encoded yet; pass acs_credential_id_on_seam',
        'acs_credential_id_on_seam',
      )
    }
    return {
      next_scan: {
        outcome: 'credential',
        in_sync: scenario === 'credential_exists_on_seam',
        acs_credential_id_on_seam: credentialId,
      },
    }
  })
