import type { CardContents, ProviderData } from '../db/schema.js'

/**
 * The interface between Keysmith and an access system's card encoders. A driver
 * talks to hardware (or, in the sandbox, simulates it); it never touches the
 * database: the domain hands it everything it needs and persists what it returns.
 */

/**
 * `nfc_type2`: an NFC Forum Type 2 tag (NTAG213/215/216) carrying an NDEF message;
 * `mifare_desfire`: a MIFARE DESFire card, as access systems with their own card
 * encoders (an NCoder) write them.
 */
export type CardFormat = 'TLCode' | 'rfid48' | 'nfc_type2' | 'mifare_desfire'

/** A physical key card: its printed number, its technology, and what is written on it. */
export interface CardState<Contents extends CardContents = CardContents> {
  card_number: string
  card_format: CardFormat
  contents: Contents | null
}

/** A stored card; `acs_card_id` identifies it across encodings. */
export interface KnownCard<Contents extends CardContents = CardContents>
  extends CardState<Contents> {
  acs_card_id: string
}

/**
 * Everything about a credential that is written onto a card. Its fields beyond these
 * are the access system's own: its provider makes the image (`cardImage`) and its
 * driver writes it.
 */
export type CredentialImage = {
  acs_credential_id: string
  card_format: CardFormat
} & { [field: string]: unknown }

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

/** Which encoder a driver works on, and what of its system it may need. */
export interface EncoderTarget {
  /** The action attempt's id: an attempt run again is the same job. */
  attemptId: string
  acsEncoderId: string
  /** A reader at a front desk: the bridge it hangs off and its name there. */
  bridge: { bridgeId: string; readerName: string } | null
  /** The system's `provider_data`. */
  systemData: ProviderData
  /** The system's secret (e.g. its signing key), opened for this job; null: it has none. */
  secret: Uint8Array | null
}

export interface EncodeRequest<
  Image extends CredentialImage = CredentialImage,
  Contents extends CardContents = CardContents,
> {
  /** The card lying on the encoder, if any. */
  cardOnEncoder: KnownCard<Contents> | null
  /** The card this credential was last encoded onto, if any. */
  cardOfCredential: KnownCard<Contents> | null
  credential: Image
  /** The access system's id for this card, assigned for this encoding. */
  externalCardId: string
  /** How many cards carry this credential once this encoding succeeds. */
  numberOfIssuedCards: number
  simulation: EncodeSimulation | null
  target: EncoderTarget
  now: Date
}

export type EncodeResult<Contents extends CardContents = CardContents> =
  | {
      ok: true
      /** The card written, with `acs_card_id` when it was a card already known. */
      card: CardState<Contents> & { acs_card_id?: string }
    }
  | { ok: false; error: DriverError }

export interface ScanRequest<
  Image extends CredentialImage = CredentialImage,
  Contents extends CardContents = CardContents,
> {
  cardOnEncoder: KnownCard<Contents> | null
  simulation: ScanSimulation | null
  /** For simulations that place a card of a known credential: that credential… */
  simulatedCredential: Image | null
  /** …and the card it was last encoded onto, if any. */
  simulatedCard: KnownCard<Contents> | null
  target: EncoderTarget
  now: Date
}

export type ScanResult<Contents extends CardContents = CardContents> =
  | { ok: true; card: CardState<Contents> }
  | { ok: false; error: DriverError }

export type EncoderOperation = 'encode' | 'scan'

/**
 * An access system's encoders. Each call is physical work: it may take seconds,
 * wait for a person to put a card down, or hang. The worker calls it with no
 * database transaction open and gives up after `timeoutMs`
 * (`encoder_communication_timeout`); `signal` aborts it (a timeout, a shutdown, a
 * lost lease), and a driver must stop promptly when it fires.
 */
export interface EncoderDriver<
  Image extends CredentialImage = CredentialImage,
  Contents extends CardContents = CardContents,
> {
  /** Longest one encode or scan may take. */
  readonly timeoutMs: number
  /**
   * Whether an operation cut off midway (the process crashed or stopped) may simply
   * run again. False for writes that may have half-happened on a real card: the
   * attempt then ends as `encoding_interrupted`.
   */
  canRetry(operation: EncoderOperation): boolean
  encode(
    request: EncodeRequest<Image, Contents>,
    signal: AbortSignal,
  ): Promise<EncodeResult<Contents>>
  scan(request: ScanRequest<Image, Contents>, signal: AbortSignal): Promise<ScanResult<Contents>>
}

/** Work a bridge agent does on one of its readers (see src/bridge/protocol.ts). */
export type BridgeJob = {
  attemptId: string
  bridgeId: string
  acsEncoderId: string
  readerName: string
} & ({ operation: 'encode'; memory: Uint8Array } | { operation: 'scan' })

export type BridgeJobOutcome =
  | { ok: true; uid: string; memory?: Uint8Array }
  | { ok: false; error: DriverError }

/**
 * Hands jobs to bridge agents, wherever they are connected (any process on the
 * database), and waits for their results. Implemented by src/bridge/server/.
 */
export interface BridgeDispatch {
  /**
   * Runs the job, or returns the result it already has (a retried attempt). Ends
   * with `bridge_disconnected` when the agent is offline, `encoder_not_online` when
   * the reader is gone; `signal` gives up (the agent is told to stop waiting).
   */
  run(job: BridgeJob, signal: AbortSignal): Promise<BridgeJobOutcome>
  /** How long an agent waits for a card, plus the round trips: the driver's timeout. */
  readonly jobTimeoutMs: number
}
