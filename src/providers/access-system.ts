import type {
  AcsAccessGroup,
  AcsCredential,
  AcsSystem,
  AcsUser,
  RouteRequestBody,
} from '@seamapi/types/connect'
import type { AcsCredentialRow, AcsEntranceRow, AcsSystemRow, ProviderData } from '../db/schema.js'
import type { CardState, CredentialImage, EncoderDriver } from './types.js'

/**
 * What the core (credentials, encoding, scanning, Access Grants, resources) asks of an
 * access system. Everything that differs between systems sits behind this interface,
 * in the system's own folder under `src/providers/`; the core never tests a brand name.
 * A provider never touches the database: the core hands it rows and stores what it
 * returns (its data lives under `key` in the `provider_data` jsonb columns).
 */
export interface AccessSystemProvider {
  /** The `external_type` of the access systems it serves, e.g. `acme_system`. */
  readonly externalType: string
  /** Key of its entry in `provider_data` columns (credentials, systems). */
  readonly key: string
  readonly traits: AccessSystemTraits

  /** The system-specific part of `/acs/credentials/create`. */
  readCredentialRequest(body: CreateCredentialBody): CredentialRequestOptions
  /**
   * What is wrong with the system's part of `/acs/credentials/create` given the
   * entrances the request names (`options` from `readCredentialRequest`): refused as
   * `invalid_input`. Left out: nothing to check.
   */
  credentialEntranceProblem?(
    options: unknown,
    entrances: readonly AcsEntranceRow[],
  ): { message: string; parameter: string } | undefined
  /**
   * The new credential as the system issues it: its PIN, its card number when it
   * assigns one itself, whether it is issued at once, and the provider's own data.
   * `allocateNumber` takes the system's next small numeric id.
   */
  newCredential(
    request: NewCredentialRequest,
    allocateNumber: () => Promise<number>,
  ): Promise<IssuedCredential>

  /** Fields the system adds to the `acs_credential` resource. */
  presentCredential(facts: CredentialFacts & { now: Date }): Partial<AcsCredential>
  /** Fields the system adds to the `acs_system` resource. */
  presentSystem(row: AcsSystemRow): Partial<AcsSystem>
  /** Whether an entrance can belong to a reservation (a hotel's guest rooms). */
  canBelongToReservation(entrance: Pick<AcsEntranceRow, 'door_category'>): boolean

  /** What the credential looks like written on a card (compared to spot changes). */
  cardImage(facts: CredentialFacts & { cardHolder: string }): CredentialImage
  /** How many cards carry the credential so far. */
  issuedCardCount(row: AcsCredentialRow): number
  /** Its data once its card was encoded (`externalCardId` is the system's id for the card). */
  afterEncoding(
    row: AcsCredentialRow,
    encoding: { externalCardId: string; issuedCardCount: number },
  ): unknown
  /** What a scan reports as `acs_credential_on_encoder`; `credential` is the one written on it, if known. */
  readCard(
    card: CardState,
    now: Date,
    credential: AcsCredentialRow | undefined,
  ): CredentialOnEncoder
  /**
   * Properties on which the card and the server's credential differ, by name.
   * `scanned` is the card as read and the doors the credential opens now.
   */
  outOfSyncProperties(
    onEncoder: CredentialOnEncoder,
    onSeam: AcsCredential,
    scanned: { card: CardState; entrances: readonly AcsEntranceRow[] },
  ): string[]
  /** What is wrong with a scanned card itself (say, it was tampered with), in words. */
  cardProblems?(card: CardState): string[]

  /**
   * Entrances whose other issued cards stop working once this credential is encoded
   * (may stop, for a card that `settleEncodedCard` decides about).
   */
  doorsOverriddenBy(facts: CredentialFacts): string[]
  /**
   * For cards whose part depends on the cards already there (one that overrides when
   * alone and joins otherwise): the encoded card's new data, given the other issued
   * cards opening any of `doorsOverriddenBy`'s doors, before any is stopped.
   * Undefined (or left out): its data stays.
   */
  settleEncodedCard?(encoded: AcsCredentialRow, others: readonly AcsCredentialRow[]): unknown
  /** The other card's new data when the encoded card stops it; undefined: it keeps working. */
  stopCard(encoded: AcsCredentialRow, other: AcsCredentialRow, now: Date): unknown

  /** The encoder driver; undefined when Keysmith cannot reach this system's encoders. */
  encoderDriver(isSandbox: boolean): EncoderDriver | undefined
  /** What a sandbox workspace gets of this system; none: the sandbox has no such site. */
  readonly sandboxSite?: SandboxSite
  /** For a system Keysmith runs itself: an operator creates it (`keysmith systems create`). */
  readonly ownSystem?: OwnSystem
}

/**
 * An access system of Keysmith's own: created by an operator rather than connected,
 * with doors the operator adds and encoders that are readers at bridges.
 */
export interface OwnSystem {
  account: { account_type: string; account_type_display_name: string }
  externalTypeDisplayName: string
  /** A new system's data, and its secret (stored sealed, handed only to its driver). */
  newSystem(): { data: unknown; secret: Uint8Array }
  /** What a lock of the system needs to know (`keysmith systems public-key`). */
  publicKey(system: AcsSystemRow): string
  /** A door the operator adds: its category and the provider's data of it. */
  newDoor(door: { number: number; kind: 'guest' | 'common' }): { category: string; data: unknown }
  /** The door number of an entrance of the system. */
  doorNumber(entrance: Pick<AcsEntranceRow, 'provider_data'>): number | undefined
}

export type CreateCredentialBody = RouteRequestBody<'/acs/credentials/create'>
export type ScanToAssignBody = RouteRequestBody<'/acs/encoders/scan_to_assign_credential'>

export type AccessMethod = AcsCredential['access_method']

/** What each kind of access system can do. The core asks here instead of testing brand names. */
export interface AccessSystemTraits {
  /** Access methods the system issues credentials for. */
  accessMethods: readonly AccessMethod[]
  /** Brand name of the system's credentials of each access method. */
  credentials: Partial<
    Record<AccessMethod, { type: NonNullable<AcsCredential['external_type']>; name: string }>
  >
  user?: { type: NonNullable<AcsUser['external_type']>; name: string }
  /** The system makes up PIN codes itself; a requested code is refused. */
  generatesCodes: boolean
  /**
   * Cards are written at an encoder. Otherwise the system assigns the credential to a
   * registered card or tag itself: it is issued at once, and changing it needs no
   * re-encoding.
   */
  encodesCards: boolean
  /**
   * Access is given by access groups preconfigured with entrances (the sandbox seeds
   * them): a credential opens the entrances of its user's groups, never entrances
   * named on the credential, and follows the user's group changes.
   */
  accessGroups?: { type: NonNullable<AcsAccessGroup['external_type']>; name: string }
  /**
   * Its cards are tags registered in the system beforehand and handed out as they are,
   * never encoded: a card an Access Grant asks for waits until a registered tag is
   * assigned to it (`/access_methods/assign_card`), and a tag read at one of its
   * encoders is assigned to a user (`/acs/encoders/scan_to_assign_credential`).
   */
  preRegisteredCards?: {
    /** Whether a scan may register a tag the system does not know yet (its metadata). */
    registersNewCards(body: ScanToAssignBody): boolean
    /** How to ask a scan to register a tag the system does not know, in words. */
    registerHint: string
  }
  /** Access methods of which a user holds at most one credential (one card per user). */
  onePerUser?: readonly AccessMethod[]
  /**
   * false: its entrances cannot be unlocked remotely, and say so
   * (`can_unlock_with_cloud_key: false`); left out, the resource does not say.
   */
  remoteUnlock?: boolean
  /** Logo on the `acs_system` resource. */
  image?: { url: string; alt: string }
  /**
   * Its `external_type` is Keysmith's own, not one of the document's: resources leave
   * `external_type` and `system_type` out rather than borrow another brand's.
   */
  ownExternalType?: boolean
}

export interface CredentialRequestOptions {
  /** The provider's reading of the request, handed back to `newCredential`. */
  options: unknown
  /** Credentials the new one links to: the core checks they are cards of the same system. */
  linkedCredentialIds: string[]
  /** The request parameter that named them, for errors. */
  linkedParameter: string
  /**
   * For access methods of which a user holds one (`traits.onePerUser`): whether the
   * request updates the user's existing credential instead of assigning a new one,
   * and the system's words for each choice, for errors.
   */
  existing?: { update: boolean; parameter: string; updateHint: string; newHint: string }
  /** What is wrong with the system's part of the request: refused as `invalid_input`. */
  problem?: { message: string; parameter: string }
}

/** How a new card takes part in a reservation (see domain/reservations.ts). */
export type ReservationRole =
  | { role: 'first_of_stay' }
  | { role: 'joins'; acs_credential_ids: string[] }

export interface NewCredentialRequest {
  accessMethod: AccessMethod
  /** The PIN asked for, if any (the core refused it where `generatesCodes`). */
  code: string | undefined
  /** From `readCredentialRequest`, for credentials made through `/acs/credentials/create`. */
  options?: unknown
  /** For cards made by an Access Grant of a reservation. */
  reservation?: ReservationRole
}

export interface IssuedCredential {
  code: string | null
  /** The number of a card or tag the system assigns itself. */
  cardNumber: string | null
  /** A PIN, or a card the system assigns itself: held by the system as soon as it syncs. */
  issuedAtOnce: boolean
  /** The provider's data, stored under its key; undefined stores none. */
  data: unknown
}

export interface CredentialFacts {
  row: AcsCredentialRow
  /** The doors it opens. */
  entrances: readonly AcsEntranceRow[]
}

/** What `scan_credential` reports as `acs_credential_on_encoder`; the system adds its metadata. */
export type CredentialOnEncoder = {
  card_number: string | null
  created_at: string | null
  is_issued: boolean | null
  starts_at: string | null
  ends_at: string | null
} & { [metadata: string]: unknown }

/** A sandbox site of one access system: its account, system, doors, encoders and guests. */
export interface SandboxSite {
  /** Prefix of the names its stable ids are derived from. */
  idPrefix: string
  /** Ids of Seam's guides, used in the default sandbox workspace (by name, prefix included). */
  documentedIds?: Record<string, string>
  account: { account_type: string; account_type_display_name: string; display_name: string }
  system: {
    name: string
    external_type_display_name: string
    time_zone: string
    /** The provider's data of the system. */
    data?: unknown
  }
  doors: {
    name: string
    /** Stored as `door_category`: the provider's kind of door. */
    category: string | null
    /** Stored as `provider_metadata`: keyed as on the `acs_entrance` resource. */
    metadata: Record<string, unknown>
    card: boolean
    code: boolean
    mobileKey: boolean
  }[]
  encoders: string[]
  /** Access groups of a system that gives access by groups, each with its doors. */
  accessGroups?: { name: string; doors: string[] }[]
  /** The blank card lying on each encoder at first. */
  blankCard?(): CardState
  /** Cards (tags) registered in the system at first, lying on no encoder. */
  registeredCards?: CardState[]
  /** Guests who came with the system (no creation events), each with a card waiting to be encoded. */
  guests?: {
    name: string
    card: { doors: string[]; startsAt: Date; endsAt: Date }
  }[]
}

/** The provider's own entry of a `provider_data` column. */
export const dataOf = <T>(data: ProviderData, key: string): T | undefined =>
  data[key] === undefined || data[key] === null ? undefined : (data[key] as T)

/** `data` with the provider's entry replaced (undefined removes it). */
export const withData = (data: ProviderData, key: string, value: unknown): ProviderData => {
  const { [key]: _old, ...rest } = data
  return value === undefined ? rest : { ...rest, [key]: value }
}
