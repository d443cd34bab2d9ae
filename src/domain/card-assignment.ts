import type { ActionAttempt, RouteRequestBody } from '@seamapi/types/connect'
import { findAccessMethod } from '../db/access-grants.js'
import { entranceIdsGrantedToUser } from '../db/access-groups.js'
import { findAcsCredential, updateAcsCredential } from '../db/acs-credentials.js'
import {
  findAcsCardByNumber,
  findAcsEncoder,
  insertAcsCard,
  updateAcsCard,
  updateAcsEncoder,
} from '../db/acs-encoders.js'
import { findAcsSystem } from '../db/acs-systems.js'
import { userEntranceIds } from '../db/acs-user-entrances.js'
import { findAcsUser } from '../db/acs-users.js'
import type { ActionAttemptOutcome } from '../db/action-attempts.js'
import {
  type AccessMethodRow,
  type AcsCardRow,
  type AcsSystemRow,
  type ActionAttemptRow,
  type Executor,
  json,
} from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import type { ProviderRegistry } from '../providers/index.js'
import type { CardState, DriverError, ScanSimulation } from '../providers/types.js'
import { toActionAttempt } from '../resources/action-attempt.js'
import { markCardEncoded, presentAccessMethods, requireAccessMethod } from './access-methods.js'
import { holderInSystem, insertCredential } from './acs-credentials.js'
import { type ActionHandler, bookkeeping, failed, queueActionAttempt } from './action-attempts.js'
import type { DomainContext, WorkspaceScope } from './context.js'
import { encoderQueue, requireEncoder } from './encoders.js'
import { loadEncoder } from './encoding.js'
import { invalidInput, notFound } from './errors.js'
import { newId } from './ids.js'
import { presentCredential } from './present.js'
import { takeScanSimulation } from './sandbox-simulations.js'

/**
 * Systems whose cards are tags registered beforehand (their provider's
 * `traits.preRegisteredCards`) hand a tag out as it is,
 * never encoding it. Two ways to give someone a tag, each an action attempt:
 * - `/acs/encoders/scan_to_assign_credential` (SCAN_TO_ASSIGN_CREDENTIAL): the tag on
 *   the system's encoder is read, and a new card credential with its number is issued
 *   to the ACS user. A tag the system does not know is refused unless the request asks
 *   to register it (the system's metadata says how).
 * - `/access_methods/assign_card` (ASSIGN_CREDENTIAL): a card access method an Access
 *   Grant made (`is_assignment_required`) gets a registered tag, named by its number.
 * Either way a tag holds one credential at a time; the credential opens what its
 * system's rule gives its user, and is issued at once (`acs_credential.issued`,
 * `access_method.issued`).
 */

/** Input of a SCAN_TO_ASSIGN_CREDENTIAL attempt, fixed when it is requested. */
export interface ScanToAssignAttemptInput {
  acs_encoder_id: string
  acs_user_id: string
  registers_new_cards: boolean
  simulation: ScanSimulation | null
}

/** Input of an ASSIGN_CREDENTIAL attempt. */
export interface AssignCardAttemptInput {
  access_method_id: string
  card_number: string
}

const tagSystem = async (
  db: Executor,
  providers: ProviderRegistry,
  workspaceId: string,
  acsSystemId: string,
) => {
  const system = await findAcsSystem(db, workspaceId, acsSystemId)
  if (!system) throw notFound('acs_system', acsSystemId)
  return { system, tags: providers.forSystem(system.external_type).traits.preRegisteredCards }
}

export const requestScanToAssign = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/acs/encoders/scan_to_assign_credential'>,
): Promise<ActionAttempt> => {
  const attempt = await ctx.db.transaction().execute(async (db) => {
    const encoder = await requireEncoder(db, scope, input.acs_encoder_id, { forUpdate: true })
    const { system, tags } = await tagSystem(
      db,
      ctx.providers,
      scope.workspace_id,
      encoder.acs_system_id,
    )
    if (!tags) {
      throw invalidInput(
        `${system.external_type_display_name} writes its cards at its encoders: create a card credential and encode it with /acs/encoders/encode_credential`,
        'acs_encoder_id',
      )
    }
    const user = await holderInSystem(
      db,
      scope,
      input,
      { acs_system_id: encoder.acs_system_id, object: `encoder ${encoder.acs_encoder_id}` },
      ctx.now(),
    )
    const attemptInput: ScanToAssignAttemptInput = {
      acs_encoder_id: encoder.acs_encoder_id,
      acs_user_id: user.acs_user_id,
      registers_new_cards: tags.registersNewCards(input),
      simulation: await takeScanSimulation(db, encoder),
    }
    return queueActionAttempt(
      db,
      ctx,
      scope,
      'SCAN_TO_ASSIGN_CREDENTIAL',
      { ...attemptInput },
      encoderQueue(encoder.acs_encoder_id),
    )
  })
  ctx.wakeWorker()
  return toActionAttempt(attempt)
}

export const requestCardAssignment = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/access_methods/assign_card'>,
): Promise<ActionAttempt> => {
  const attempt = await ctx.db.transaction().execute(async (db) => {
    const method = await requireAccessMethod(db, scope, input.access_method_id, {
      forUpdate: true,
    })
    const cardNumber = input.card_number.trim()
    if (cardNumber === '') throw invalidInput('card_number must not be empty', 'card_number')
    if (method.mode !== 'card') {
      throw invalidInput(
        `Only card access methods are assigned a card; this one is ${method.mode}`,
        'access_method_id',
      )
    }
    if (method.acs_system_id === null || method.acs_credential_id === null) {
      throw invalidInput('The access method has no card to assign a tag to', 'access_method_id')
    }
    const { system, tags } = await tagSystem(
      db,
      ctx.providers,
      scope.workspace_id,
      method.acs_system_id,
    )
    if (!tags) {
      throw invalidInput(
        `${system.external_type_display_name} writes its cards at its encoders: encode the access method with /access_methods/encode`,
        'access_method_id',
      )
    }
    if (method.is_issued) {
      throw invalidInput(
        'The access method has a card assigned already (is_assignment_required is false)',
        'access_method_id',
      )
    }
    const attemptInput: AssignCardAttemptInput = {
      access_method_id: method.access_method_id,
      card_number: cardNumber,
    }
    return queueActionAttempt(db, ctx, scope, 'ASSIGN_CREDENTIAL', { ...attemptInput }, null)
  })
  ctx.wakeWorker()
  return toActionAttempt(attempt)
}

/** Error types the document gives both attempts; a driver's other errors are reported as uncategorized. */
const documentedErrors = new Set(['no_credential_on_encoder', 'action_attempt_expired'])

const reportedError = (error: DriverError): ActionAttemptOutcome =>
  documentedErrors.has(error.type)
    ? { status: 'error', error }
    : failed('uncategorized_error', error.message)

/** A tag's holder, if it holds a credential that still exists. */
const holderOf = async (db: Executor, card: AcsCardRow) =>
  card.acs_credential_id
    ? findAcsCredential(db, card.workspace_id, card.acs_credential_id)
    : undefined

const takenMessage = (cardNumber: string, acsCredentialId: string) =>
  `The tag ${cardNumber} is assigned to credential ${acsCredentialId} already; delete that credential to hand the tag out again.`

/** The entrances a new credential of the user opens under its system's rule. */
const entrancesForUser = async (
  db: Executor,
  providers: ProviderRegistry,
  system: AcsSystemRow,
  acsUserId: string,
): Promise<string[]> =>
  providers.forSystem(system.external_type).traits.accessGroups
    ? entranceIdsGrantedToUser(db, acsUserId)
    : userEntranceIds(db, acsUserId)

const assignScannedTag = async (
  db: Executor,
  providers: ProviderRegistry,
  attempt: ActionAttemptRow,
  input: ScanToAssignAttemptInput,
  tag: CardState,
  now: Date,
): Promise<ActionAttemptOutcome> => {
  const encoder = await findAcsEncoder(db, attempt.workspace_id, input.acs_encoder_id)
  const system = encoder && (await findAcsSystem(db, attempt.workspace_id, encoder.acs_system_id))
  const user = await findAcsUser(db, attempt.workspace_id, input.acs_user_id)
  if (!encoder || !system) {
    return failed('uncategorized_error', 'The encoder was removed before the tag could be read.')
  }
  if (!user) {
    return failed('uncategorized_error', 'The ACS user was deleted before the tag was assigned.')
  }
  const tags = providers.forSystem(system.external_type).traits.preRegisteredCards
  let card = await findAcsCardByNumber(db, system.acs_system_id, tag.card_number, {
    forUpdate: true,
  })
  if (!card) {
    if (!input.registers_new_cards) {
      return failed(
        'no_credential_on_encoder',
        `The tag ${tag.card_number} on the encoder is not registered in ${system.external_type_display_name}; ${tags?.registerHint ?? 'register it first'}.`,
      )
    }
    card = await insertAcsCard(db, {
      acs_card_id: newId(),
      workspace_id: attempt.workspace_id,
      acs_system_id: system.acs_system_id,
      card_number: tag.card_number,
      card_format: tag.card_format,
      acs_credential_id: null,
      contents: json(null),
      created_at: now,
      updated_at: now,
    })
  }
  const holder = await holderOf(db, card)
  if (holder)
    return failed('uncategorized_error', takenMessage(card.card_number, holder.acs_credential_id))

  const credential = await insertCredential(db, providers, {
    system,
    user,
    accessMethod: 'card',
    code: undefined,
    cardNumber: card.card_number,
    entranceIds: await entrancesForUser(db, providers, system, user.acs_user_id),
    startsAt: user.access_starts_at,
    endsAt: user.access_ends_at,
    now,
  })
  await updateAcsCard(db, card.acs_card_id, {
    acs_credential_id: credential.acs_credential_id,
    updated_at: now,
  })
  // Its holder takes the tag away: the next scan reads another.
  await updateAcsEncoder(db, encoder.acs_encoder_id, { acs_card_id: null })
  return { status: 'success', result: await presentCredential(db, providers, credential, now) }
}

export const scanToAssignHandler: ActionHandler = {
  interrupted: failed('action_attempt_expired', 'The scan was interrupted; scan the tag again.'),
  async prepare(db, attempt, { providers, now }) {
    const input = attempt.input as unknown as ScanToAssignAttemptInput
    const loaded = await loadEncoder(db, attempt, input.acs_encoder_id, providers)
    if ('status' in loaded) {
      return loaded.status === 'error' && loaded.error ? reportedError(loaded.error) : loaded
    }
    const { driver } = loaded
    return {
      timeoutMs: driver.timeoutMs,
      retryable: driver.canRetry('scan'),
      run: async (signal) => {
        const scanned = await driver.scan(
          {
            cardOnEncoder: loaded.cardOnEncoder,
            simulation: input.simulation,
            simulatedCredential: null,
            simulatedCard: null,
            target: loaded.target,
            now,
          },
          signal,
        )
        return (tx, appliedAt) =>
          scanned.ok
            ? assignScannedTag(tx, providers, attempt, input, scanned.card, appliedAt)
            : Promise.resolve(reportedError(scanned.error))
      },
    }
  },
}

const assignTag = async (
  db: Executor,
  attempt: ActionAttemptRow,
  input: AssignCardAttemptInput,
  now: Date,
): Promise<ActionAttemptOutcome> => {
  const method: AccessMethodRow | undefined = await findAccessMethod(
    db,
    attempt.workspace_id,
    input.access_method_id,
    { forUpdate: true },
  )
  const credential =
    method?.acs_credential_id &&
    (await findAcsCredential(db, attempt.workspace_id, method.acs_credential_id))
  if (!method || !credential || method.acs_system_id === null) {
    return failed('uncategorized_error', 'The access method was revoked before a tag was assigned.')
  }
  const system = await findAcsSystem(db, attempt.workspace_id, method.acs_system_id)
  const card = await findAcsCardByNumber(db, method.acs_system_id, input.card_number, {
    forUpdate: true,
  })
  if (!system || !card) {
    return failed(
      'credential_not_found',
      `No tag numbered ${input.card_number} is registered in ${system?.external_type_display_name ?? 'the access system'}.`,
    )
  }
  const holder = await holderOf(db, card)
  if (holder && holder.acs_credential_id !== credential.acs_credential_id) {
    return failed('uncategorized_error', takenMessage(card.card_number, holder.acs_credential_id))
  }
  let updated = method
  if (!method.is_issued) {
    const issued = await updateAcsCredential(db, credential.acs_credential_id, {
      card_number: card.card_number,
      is_issued: true,
      issued_at: now,
      updated_at: now,
    })
    await updateAcsCard(db, card.acs_card_id, {
      acs_credential_id: issued.acs_credential_id,
      updated_at: now,
    })
    await recordEvent(
      db,
      issued.workspace_id,
      'acs_credential.issued',
      {
        acs_credential_id: issued.acs_credential_id,
        acs_system_id: issued.acs_system_id,
        connected_account_id: issued.connected_account_id,
      },
      now,
    )
    updated = (await markCardEncoded(db, issued, now)) ?? method
  } else if (credential.card_number !== card.card_number) {
    return failed(
      'uncategorized_error',
      `The access method has tag ${credential.card_number ?? 'another tag'} assigned already.`,
    )
  }
  const [presented] = await presentAccessMethods(db, [updated])
  return { status: 'success', result: presented ?? null }
}

export const assignCardHandler: ActionHandler = {
  interrupted: failed('action_attempt_expired', 'The assignment was interrupted; assign it again.'),
  prepare: async (_db, attempt) => {
    const input = attempt.input as unknown as AssignCardAttemptInput
    return bookkeeping((tx, now) => assignTag(tx, attempt, input, now))
  },
}
