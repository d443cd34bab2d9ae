import type { CardContents } from '../db/schema.js'

/**
 * The interface between Keysmith and an access system's card encoders. A driver
 * talks to hardware (or, in the sandbox, simulates it); it never touches the
 * database: the domain hands it everything it needs and persists what it returns.
 */

export type CardFormat = 'TLCode' | 'rfid48'

/** A physical key card: its printed number, its technology, and what is written on it. */
export interface CardState {
  card_number: string
  card_format: CardFormat
  contents: CardContents | null
}

/** A stored card; `acs_card_id` identifies it across encodings. */
export interface KnownCard extends CardState {
  acs_card_id: string
}

/** Everything about a credential that is written onto a card. */
export interface CredentialImage {
  acs_credential_id: string
  card_holder: string
  card_format: CardFormat
  card_function_type: 'guest' | 'staff'
  visionline_credential_id: string
  starts_at: string | null
  ends_at: string | null
  guest_acs_entrance_ids: string[]
  common_acs_entrance_ids: string[]
}

export interface DriverError {
  type: string
  message: string
}

/** Sandbox: what the next encoding on an encoder does (set by the simulate endpoints). */
export type EncodeSimulation =
  | { outcome: 'success' }
  | { outcome: 'error'; error_code: string; acs_credential_id?: string }

/** Sandbox: what the next scan on an encoder reads (set by the simulate endpoints). */
export type ScanSimulation =
  | { outcome: 'error'; error_code: string; acs_credential_id_on_seam?: string }
  | { outcome: 'empty_card' }
  | { outcome: 'unknown_credential' }
  | { outcome: 'credential'; in_sync: boolean; acs_credential_id_on_seam: string }

export interface EncodeRequest {
  /** The card lying on the encoder, if any. */
  cardOnEncoder: KnownCard | null
  /** The card this credential was last encoded onto, if any. */
  cardOfCredential: KnownCard | null
  credential: CredentialImage
  /** The access system's id for this card, assigned for this encoding. */
  externalCardId: string
  /** How many cards carry this credential once this encoding succeeds. */
  numberOfIssuedCards: number
  simulation: EncodeSimulation | null
  now: Date
}

export type EncodeResult =
  | {
      ok: true
      /** The card written, with `acs_card_id` when it was a card already known. */
      card: CardState & { acs_card_id?: string }
    }
  | { ok: false; error: DriverError }

export interface ScanRequest {
  cardOnEncoder: KnownCard | null
  simulation: ScanSimulation | null
  /** For simulations that place a card of a known credential: that credential… */
  simulatedCredential: CredentialImage | null
  /** …and the card it was last encoded onto, if any. */
  simulatedCard: KnownCard | null
  now: Date
}

export type ScanResult = { ok: true; card: CardState } | { ok: false; error: DriverError }

export interface EncoderDriver {
  encode(request: EncodeRequest): Promise<EncodeResult>
  scan(request: ScanRequest): Promise<ScanResult>
}
