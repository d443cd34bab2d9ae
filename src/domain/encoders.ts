import type { AcsEncoder, ActionAttempt, RouteRequestBody } from '@seamapi/types/connect'
import {
  type AcsEncoderFilters,
  encoderFilterInProcess,
  findAcsEncoder,
  listAcsEncoders,
  listAllAcsEncoders,
} from '../db/acs-encoders.js'
import { findAcsSystem } from '../db/acs-systems.js'
import { type Page, paginateRows } from '../db/pagination.js'
import type { AcsCredentialRow, AcsEncoderRow, Executor } from '../db/schema.js'
import type { EncodeSimulation, ScanSimulation } from '../providers/types.js'
import { toAcsEncoder } from '../resources/acs.js'
import { toActionAttempt } from '../resources/action-attempt.js'
import { requireAccessMethod } from './access-methods.js'
import { requireCredential } from './acs-credentials.js'
import { queueActionAttempt } from './action-attempts.js'
import { CatalogCache, keptById } from './catalog-cache.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { invalidInput, notFound } from './errors.js'
import { takeEncodeSimulation, takeScanSimulation } from './sandbox-simulations.js'

/** Input of an ENCODE_CREDENTIAL attempt, fixed when it is requested. */
export interface EncodeAttemptInput {
  acs_encoder_id: string
  acs_credential_id: string
  simulation: EncodeSimulation | null
}

/** Input of a SCAN_CREDENTIAL attempt, fixed when it is requested. */
export interface ScanAttemptInput {
  acs_encoder_id: string
  simulation: ScanSimulation | null
}

/** One card lies on an encoder: its encodings and scans run one at a time, in order. */
export const encoderQueue = (acsEncoderId: string): string => `acs_encoder:${acsEncoderId}`

export const requireEncoder = async (
  db: Executor,
  scope: WorkspaceScope,
  acsEncoderId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsEncoderRow> => {
  const row = await findAcsEncoder(db, scope.workspace_id, acsEncoderId, options)
  if (!row) throw notFound('acs_encoder', acsEncoderId)
  return row
}

/** The workspace's encoders kept in the process, or null: read the database. */
const keptEncoders = async (ctx: DomainContext, workspaceId: string) =>
  ctx.catalogCache
    ? ctx.catalogCache.encodersOf(workspaceId, () =>
        listAllAcsEncoders(ctx.db, workspaceId, CatalogCache.maxRowsPerWorkspace),
      )
    : null

export const getAcsEncoder = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  acsEncoderId: string,
): Promise<AcsEncoder> => {
  const kept = await keptEncoders(ctx, scope.workspace_id)
  if (!kept) return toAcsEncoder(await requireEncoder(ctx.db, scope, acsEncoderId))
  const id = acsEncoderId.toLowerCase()
  const row = keptById(kept, (encoder) => encoder.acs_encoder_id).get(id)
  if (!row) throw notFound('acs_encoder', acsEncoderId)
  return toAcsEncoder(row)
}

export const listAcsEncodersPage = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/list'>,
): Promise<Page<AcsEncoder>> => {
  const filters = input as {
    acs_system_id?: string
    acs_system_ids?: string[]
    acs_encoder_ids?: string[]
  }
  const systemIds =
    filters.acs_system_id !== undefined ? [filters.acs_system_id] : filters.acs_system_ids
  const wanted: AcsEncoderFilters = {
    acs_system_ids: systemIds,
    acs_encoder_ids: filters.acs_encoder_ids,
  }
  const pageRequest = { limit: input.limit ?? 500, pageCursor: input.page_cursor }
  const kept = await keptEncoders(ctx, scope.workspace_id)
  const page = kept
    ? paginateRows(kept.filter(encoderFilterInProcess(wanted)), 'acs_encoder_id', pageRequest)
    : await listAcsEncoders(ctx.db, scope.workspace_id, wanted, pageRequest)
  return { ...page, items: page.items.map(toAcsEncoder) }
}

/**
 * Starts writing a card credential onto the card on an encoder. Answers at once
 * with a pending attempt; the worker does the encoding (see encoding.ts). A
 * simulation set for this encoder is taken now, so it applies to exactly this
 * request. The credential is named directly or through the card access method an
 * Access Grant made.
 */
export const requestEncoding = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/encode_credential'>,
): Promise<ActionAttempt> =>
  startEncoding(ctx, scope, {
    acsEncoderId: input.acs_encoder_id,
    acsCredentialId: input.acs_credential_id,
    accessMethodId: input.access_method_id,
    actionType: 'ENCODE_CREDENTIAL',
  })

/** `/access_methods/encode`: the same encoding, reported as the access method. */
export const requestAccessMethodEncoding = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/access_methods/encode'>,
): Promise<ActionAttempt> =>
  startEncoding(ctx, scope, {
    acsEncoderId: input.acs_encoder_id,
    acsCredentialId: undefined,
    accessMethodId: input.access_method_id,
    actionType: 'ENCODE_ACCESS_METHOD',
  })

interface EncodingRequest {
  acsEncoderId: string
  acsCredentialId: string | undefined
  accessMethodId: string | undefined
  actionType: 'ENCODE_CREDENTIAL' | 'ENCODE_ACCESS_METHOD'
}

/** The card credential an encoding request names, checked against the encoder. */
const credentialToEncode = async (
  db: Executor,
  scope: WorkspaceScope,
  encoder: AcsEncoderRow,
  request: EncodingRequest,
): Promise<AcsCredentialRow> => {
  let credentialId = request.acsCredentialId
  if (request.accessMethodId !== undefined) {
    const method = await requireAccessMethod(db, scope, request.accessMethodId)
    if (method.mode !== 'card') {
      throw invalidInput(
        `Only card access methods are encoded onto cards; this one is ${method.mode}`,
        'access_method_id',
      )
    }
    if (method.acs_system_id !== encoder.acs_system_id) {
      throw invalidInput(
        'The access method belongs to a different access system than the encoder',
        'access_method_id',
      )
    }
    if (method.acs_credential_id === null) {
      throw invalidInput('The access method is not ready for encoding', 'access_method_id')
    }
    if (credentialId !== undefined && credentialId !== method.acs_credential_id) {
      throw invalidInput(
        'acs_credential_id is not the credential of access_method_id',
        'acs_credential_id',
      )
    }
    credentialId = method.acs_credential_id
  }
  if (credentialId === undefined) {
    throw invalidInput(
      'Provide acs_credential_id or access_method_id to encode',
      'acs_credential_id',
    )
  }
  const credential = await requireCredential(db, scope, credentialId)
  if (credential.access_method !== 'card') {
    throw invalidInput(
      `Only card credentials can be encoded; this credential's access_method is ${credential.access_method}`,
      'acs_credential_id',
    )
  }
  if (credential.acs_system_id !== encoder.acs_system_id) {
    throw invalidInput(
      'The credential belongs to a different access system than the encoder',
      'acs_credential_id',
    )
  }
  return credential
}

const startEncoding = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  request: EncodingRequest,
): Promise<ActionAttempt> => {
  const attempt = await ctx.db.transaction().execute(async (db) => {
    const encoder = await requireEncoder(db, scope, request.acsEncoderId, { forUpdate: true })
    const system = await findAcsSystem(db, scope.workspace_id, encoder.acs_system_id)
    if (system && !ctx.providers.forSystem(system.external_type).traits.encodesCards) {
      throw invalidInput(
        `${system.external_type_display_name} cards are not encoded: its tags are assigned as they are (/acs/encoders/scan_to_assign_credential, /access_methods/assign_card)`,
        'acs_encoder_id',
      )
    }
    const credential = await credentialToEncode(db, scope, encoder, request)
    const attemptInput: EncodeAttemptInput = {
      acs_encoder_id: encoder.acs_encoder_id,
      acs_credential_id: credential.acs_credential_id,
      simulation: await takeEncodeSimulation(db, encoder, credential.acs_credential_id),
    }
    return queueActionAttempt(
      db,
      ctx,
      scope,
      request.actionType,
      { ...attemptInput },
      encoderQueue(encoder.acs_encoder_id),
    )
  })
  ctx.wakeWorker()
  return toActionAttempt(attempt)
}

/** Starts reading the card on an encoder; the worker compares it with the server (encoding.ts). */
export const requestScan = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/scan_credential'>,
): Promise<ActionAttempt> => {
  const attempt = await ctx.db.transaction().execute(async (db) => {
    const encoder = await requireEncoder(db, scope, input.acs_encoder_id, { forUpdate: true })
    const attemptInput: ScanAttemptInput = {
      acs_encoder_id: encoder.acs_encoder_id,
      simulation: await takeScanSimulation(db, encoder),
    }
    return queueActionAttempt(
      db,
      ctx,
      scope,
      'SCAN_CREDENTIAL',
      { ...attemptInput },
      encoderQueue(encoder.acs_encoder_id),
    )
  })
  ctx.wakeWorker()
  return toActionAttempt(attempt)
}
