import { findAcsCredential, updateAcsCredential } from '../db/acs-credentials.js'
import {
  findAcsCard,
  findAcsEncoder,
  findCardOfCredential,
  insertAcsCard,
  updateAcsCard,
  updateAcsEncoder,
} from '../db/acs-encoders.js'
import { allocateExternalNumber, entrancesByCredential, findAcsSystem } from '../db/acs-systems.js'
import { findAcsUser } from '../db/acs-users.js'
import type { ActionAttemptOutcome } from '../db/action-attempts.js'
import {
  type AcsCardRow,
  type AcsCredentialRow,
  type AcsEntranceRow,
  type AcsUserRow,
  type ActionAttemptRow,
  type Executor,
  json,
} from '../db/schema.js'
import { findWorkspace } from '../db/workspaces.js'
import { recordEvent } from '../events/log.js'
import { type AccessSystemProvider, withData } from '../providers/access-system.js'
import type { ProviderRegistry } from '../providers/index.js'
import type {
  CardState,
  CredentialImage,
  EncoderDriver,
  EncoderTarget,
  KnownCard,
} from '../providers/types.js'
import { markCardEncoded, presentAccessMethods, requireEncodingAgain } from './access-methods.js'
import { type ActionHandler, failed } from './action-attempts.js'
import {
  cardProblemWarning,
  notOnSeamWarning,
  outOfSyncWarning,
  type ScanWarning,
} from './card-comparison.js'
import { overrideEarlierCards } from './card-override.js'
import { withContextInHand } from './credential-entrances.js'
import type { EncodeAttemptInput, ScanAttemptInput } from './encoders.js'
import { newId } from './ids.js'
import { presentCredential } from './present.js'
import { openSystemSecret } from './system-secrets.js'

/**
 * What the worker does for ENCODE_CREDENTIAL (and ENCODE_ACCESS_METHOD) and
 * SCAN_CREDENTIAL attempts, in the three steps of an `ActionHandler`: load what the
 * encoder needs, let the driver work with no transaction open, then save the card,
 * the credential, the events and the outcome together in one short transaction,
 * re-checking what may have changed while the card was on the encoder.
 */

const knownCard = (row: AcsCardRow | undefined): KnownCard | null =>
  row
    ? {
        acs_card_id: row.acs_card_id,
        card_number: row.card_number,
        card_format: row.card_format,
        contents: row.contents,
      }
    : null

export interface EncoderContext {
  driver: EncoderDriver
  provider: AccessSystemProvider
  /** The encoder's access system's `external_type`. */
  systemExternalType: string
  cardOnEncoder: KnownCard | null
  target: EncoderTarget
}

export const loadEncoder = async (
  db: Executor,
  attempt: ActionAttemptRow,
  acsEncoderId: string,
  providers: ProviderRegistry,
): Promise<EncoderContext | ActionAttemptOutcome> => {
  const encoder = await findAcsEncoder(db, attempt.workspace_id, acsEncoderId)
  const workspace = await findWorkspace(db, attempt.workspace_id)
  const system = encoder && (await findAcsSystem(db, attempt.workspace_id, encoder.acs_system_id))
  if (!encoder || !workspace || !system) {
    return failed('uncategorized_error', 'The encoder was removed before the action could run.')
  }
  if (encoder.removed_at) {
    return failed('encoder_not_online', `The encoder ${encoder.display_name} is not connected.`)
  }
  const provider = providers.forSystem(system.external_type)
  const driver = provider.encoderDriver(workspace.is_sandbox)
  if (!driver) {
    return failed(
      'encoder_not_online',
      `No driver is available for ${system.external_type_display_name} encoders.`,
    )
  }
  const card = encoder.acs_card_id ? await findAcsCard(db, encoder.acs_card_id) : undefined
  const target: EncoderTarget = {
    attemptId: attempt.action_attempt_id,
    acsEncoderId: encoder.acs_encoder_id,
    bridge:
      encoder.bridge_id && encoder.reader_name
        ? { bridgeId: encoder.bridge_id, readerName: encoder.reader_name }
        : null,
    systemData: system.provider_data,
    // Only a system Keysmith keeps itself has a secret (its signing key).
    secret: provider.ownSystem ? await openSystemSecret(db, system.acs_system_id) : null,
  }
  return {
    driver,
    provider,
    systemExternalType: system.external_type,
    cardOnEncoder: knownCard(card),
    target,
  }
}

/** What a card image and a presented credential need besides the credential's row. */
interface Surroundings {
  /** The doors it opens, oldest first. */
  entrances: AcsEntranceRow[]
  user: AcsUserRow | undefined
}

const surroundingsOf = async (
  db: Executor,
  credential: AcsCredentialRow,
): Promise<Surroundings> => ({
  entrances:
    (await entrancesByCredential(db, [credential.acs_credential_id])).get(
      credential.acs_credential_id,
    ) ?? [],
  user: credential.acs_user_id
    ? await findAcsUser(db, credential.workspace_id, credential.acs_user_id)
    : undefined,
})

/** What a credential looks like written on a card (its provider says). */
const imageOf = (
  provider: AccessSystemProvider,
  credential: AcsCredentialRow,
  { entrances, user }: Surroundings,
): CredentialImage =>
  provider.cardImage({ row: credential, entrances, cardHolder: user?.full_name ?? 'Guest' })

const sameImage = (a: CredentialImage, b: CredentialImage): boolean =>
  JSON.stringify(a) === JSON.stringify(b)

const credentialDeleted = (): ActionAttemptOutcome =>
  failed('credential_deleted', 'The credential was deleted before its card could be encoded.')

export const encodingHandler: ActionHandler = {
  interrupted: failed(
    'encoding_interrupted',
    'The encoding was interrupted (the server stopped while the card was being written); encode the card again.',
  ),
  async prepare(db, attempt, { providers, now, allocateNumber }) {
    const input = attempt.input as unknown as EncodeAttemptInput
    const loaded = await loadEncoder(db, attempt, input.acs_encoder_id, providers)
    if ('status' in loaded) return loaded
    const credential = await findAcsCredential(db, attempt.workspace_id, input.acs_credential_id)
    if (!credential) return credentialDeleted()
    const cardOfCredential = credential.is_issued
      ? knownCard(await findCardOfCredential(db, credential.acs_credential_id))
      : null
    const { provider } = loaded
    const issuedCardCount = provider.issuedCardCount(credential) + 1
    // Allocated before the card is written, in a statement committed at once (on
    // connections of its own where the database offers them): no lock on the system
    // is held while the card is written. A failed encoding leaves a gap, no more.
    const externalCardId = String(
      allocateNumber
        ? await allocateNumber(credential.acs_system_id)
        : await allocateExternalNumber(db, credential.acs_system_id),
    )
    const image = imageOf(provider, credential, await surroundingsOf(db, credential))
    const { driver } = loaded
    return {
      timeoutMs: driver.timeoutMs,
      retryable: driver.canRetry('encode'),
      run: async (signal) => {
        const encoded = await driver.encode(
          {
            cardOnEncoder: loaded.cardOnEncoder,
            cardOfCredential,
            credential: image,
            externalCardId,
            numberOfIssuedCards: issuedCardCount,
            simulation: input.simulation,
            target: loaded.target,
            now,
          },
          signal,
        )
        return (tx, appliedAt) =>
          encoded.ok
            ? applyEncoding(tx, attempt, {
                providers,
                provider,
                systemExternalType: loaded.systemExternalType,
                input,
                card: encoded.card,
                image,
                externalCardId,
                issuedCardCount,
                now: appliedAt,
              })
            : Promise.resolve({ status: 'error', error: encoded.error })
      },
    }
  },
}

interface WrittenCard {
  providers: ProviderRegistry
  provider: AccessSystemProvider
  systemExternalType: string
  input: EncodeAttemptInput
  card: CardState & { acs_card_id?: string }
  /** The credential as it was written onto the card. */
  image: CredentialImage
  externalCardId: string
  issuedCardCount: number
  now: Date
}

const applyEncoding = async (
  db: Executor,
  attempt: ActionAttemptRow,
  written: WrittenCard,
): Promise<ActionAttemptOutcome> => {
  const { input, card, now, provider, providers } = written
  const credential = await findAcsCredential(db, attempt.workspace_id, input.acs_credential_id, {
    forUpdate: true,
  })
  // Deleted while its card was being written: nothing is issued.
  if (!credential) return credentialDeleted()

  // Save the card the driver wrote; it is now the card lying on this encoder.
  let acsCardId = card.acs_card_id
  if (acsCardId) {
    await updateAcsCard(db, acsCardId, {
      card_format: card.card_format,
      acs_credential_id: credential.acs_credential_id,
      contents: json(card.contents),
      updated_at: now,
    })
  } else {
    acsCardId = newId()
    await insertAcsCard(db, {
      acs_card_id: acsCardId,
      workspace_id: attempt.workspace_id,
      acs_system_id: credential.acs_system_id,
      card_number: card.card_number,
      card_format: card.card_format,
      acs_credential_id: credential.acs_credential_id,
      contents: json(card.contents),
      created_at: now,
      updated_at: now,
    })
  }
  await updateAcsEncoder(db, input.acs_encoder_id, { acs_card_id: acsCardId })

  const wasIssued = credential.is_issued
  // Read once: the credential is locked, so neither its doors nor its user change here.
  const surroundings = await surroundingsOf(db, credential)
  // Changed while its card was being written: the card carries the old version.
  const stale = !sameImage(written.image, imageOf(provider, credential, surroundings))
  const encodedRow = await updateCredentialAfterEncoding(db, provider, credential, {
    cardNumber: card.card_number,
    externalCardId: written.externalCardId,
    issuedCardCount: written.issuedCardCount,
    stale,
    now,
  })
  const updated = await overrideEarlierCards(db, provider, encodedRow, now, surroundings.entrances)
  await recordEvent(
    db,
    attempt.workspace_id,
    wasIssued ? 'acs_credential.reissued' : 'acs_credential.issued',
    {
      acs_credential_id: credential.acs_credential_id,
      acs_system_id: credential.acs_system_id,
      connected_account_id: credential.connected_account_id,
    },
    now,
  )
  let method = await markCardEncoded(db, updated, now)
  if (method && stale) method = await requireEncodingAgain(db, method, now)
  if (attempt.action_type === 'ENCODE_ACCESS_METHOD' && method) {
    const [accessMethod] = await presentAccessMethods(db, [method])
    return {
      status: 'success',
      result: {
        ...accessMethod,
        card_number: updated.card_number,
        acs_credential_id: updated.acs_credential_id,
      },
    }
  }
  // Presented from the rows in hand: no further query.
  const presentable = await withContextInHand(db, updated.workspace_id, updated, {
    system: { external_type: written.systemExternalType },
    user: surroundings.user,
    entranceIds: surroundings.entrances.map((entrance) => entrance.acs_entrance_id),
    known: surroundings.entrances,
  })
  return { status: 'success', result: await presentCredential(db, providers, presentable, now) }
}

const updateCredentialAfterEncoding = async (
  db: Executor,
  provider: AccessSystemProvider,
  credential: AcsCredentialRow,
  change: {
    cardNumber: string
    externalCardId: string
    issuedCardCount: number
    /** The credential changed while the card was written: it needs encoding again. */
    stale: boolean
    now: Date
  },
): Promise<AcsCredentialRow> =>
  updateAcsCredential(db, credential.acs_credential_id, {
    is_issued: true,
    issued_at: change.now,
    card_number: change.cardNumber,
    reissue_required_at: change.stale ? change.now : null,
    provider_data: json(
      withData(
        credential.provider_data,
        provider.key,
        provider.afterEncoding(credential, {
          externalCardId: change.externalCardId,
          issuedCardCount: change.issuedCardCount,
        }),
      ),
    ),
    updated_at: change.now,
  })

export const scanHandler: ActionHandler = {
  // Reading a card changes nothing, but a scan cut off midway is not taken up again
  // once its deadline has passed.
  interrupted: failed('action_attempt_expired', 'The scan was interrupted; scan the card again.'),
  async prepare(db, attempt, { providers, now }) {
    const input = attempt.input as unknown as ScanAttemptInput
    const loaded = await loadEncoder(db, attempt, input.acs_encoder_id, providers)
    if ('status' in loaded) return loaded
    const simulation = input.simulation
    let simulatedCredential: CredentialImage | null = null
    let simulatedCard: KnownCard | null = null
    if (simulation?.outcome === 'credential') {
      const credential = await findAcsCredential(
        db,
        attempt.workspace_id,
        simulation.acs_credential_id_on_seam,
      )
      if (credential) {
        simulatedCredential = imageOf(
          loaded.provider,
          credential,
          await surroundingsOf(db, credential),
        )
        simulatedCard = knownCard(await findCardOfCredential(db, credential.acs_credential_id))
      }
    }
    const { driver } = loaded
    return {
      timeoutMs: driver.timeoutMs,
      retryable: driver.canRetry('scan'),
      run: async (signal) => {
        const scanned = await driver.scan(
          {
            cardOnEncoder: loaded.cardOnEncoder,
            simulation,
            simulatedCredential,
            simulatedCard,
            target: loaded.target,
            now,
          },
          signal,
        )
        return (tx, appliedAt) =>
          scanned.ok
            ? compareScannedCard(tx, providers, loaded.provider, attempt, scanned.card, appliedAt)
            : Promise.resolve({ status: 'error', error: scanned.error })
      },
    }
  },
}

/** What the card holds against what the server holds, as of now. */
const compareScannedCard = async (
  db: Executor,
  providers: ProviderRegistry,
  provider: AccessSystemProvider,
  attempt: ActionAttemptRow,
  card: CardState,
  now: Date,
): Promise<ActionAttemptOutcome> => {
  const credentialId = card.contents?.acs_credential_id
  const row = credentialId
    ? await findAcsCredential(db, attempt.workspace_id, credentialId)
    : undefined
  const onEncoder = provider.readCard(card, now, row)
  const onSeam = row ? await presentCredential(db, providers, row, now) : null
  const warnings: ScanWarning[] = (provider.cardProblems?.(card) ?? []).map(cardProblemWarning)
  if (credentialId && !onSeam) warnings.push(notOnSeamWarning())
  if (row && onSeam) {
    const entrances = (await entrancesByCredential(db, [row.acs_credential_id])).get(
      row.acs_credential_id,
    )
    const differences = provider.outOfSyncProperties(onEncoder, onSeam, {
      card,
      entrances: entrances ?? [],
    })
    if (differences.length > 0) warnings.push(outOfSyncWarning(differences))
  }
  return {
    status: 'success',
    result: { acs_credential_on_encoder: onEncoder, acs_credential_on_seam: onSeam, warnings },
  }
}
