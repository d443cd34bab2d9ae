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

export type EncoderOperation = 'encode' | 'scan'

/**
 * An access system's encoders. Each call is physical work: it may take seconds,
 * wait for a person to put a card down, or hang. The worker calls it with no
 * database transaction open and gives up after `timeoutMs`
 * (`encoder_communication_timeout`); `signal` aborts it (a timeout, a shutdown, a
 * lost lease), and a driver must stop promptly when it fires.
 */
export interface EncoderDriver {
  /** Longest one encode or scan may take. */
  readonly timeoutMs: number
  /**
   * Whether an operation cut off midway (the process crashed or stopped) may simply
   * run again. False for writes that may have half-happened on a real card: the
   * attempt then ends as `encoding_interrupted`.
   */
  canRetry(operation: EncoderOperation): boolean
  encode(request: EncodeRequest, signal: AbortSignal): Promise<EncodeResult>
  scan(request: ScanRequest, signal: AbortSignal): Promise<ScanResult>
}
