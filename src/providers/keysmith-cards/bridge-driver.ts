import {
  CardFormatError,
  decodeCard,
  encodeCard,
  hasValidSignature,
  keyIdOf,
  unwrapNdef,
  wrapNdef,
} from '../../cards/format.js'
import { dataOf } from '../access-system.js'
import type {
  BridgeDispatch,
  CardState,
  DriverError,
  EncoderDriver,
  EncoderTarget,
} from '../types.js'
import type { KeysmithCardContents, KeysmithCardImage } from './card.js'
import { privateKeyOf, publicKeyOf, type SystemKeyData } from './keys.js'

type Driver = EncoderDriver<KeysmithCardImage, KeysmithCardContents>

const failure = (type: string, message: string): { ok: false; error: DriverError } => ({
  ok: false,
  error: { type, message },
})

const notAtBridge = failure(
  'encoder_not_online',
  'The encoder is not a reader at a bridge: no agent can reach it.',
)

/** Unix seconds 0 is "no start" on a card. */
const epoch = new Date(0)

/**
 * What a card's memory says, checked against the system's key. Null for a blank card
 * or one that holds no Keysmith card (another application's NDEF, garbage).
 */
export const readMemory = (
  memory: Uint8Array,
  keys: SystemKeyData,
): KeysmithCardContents | null => {
  let payload: Uint8Array | null
  try {
    payload = unwrapNdef(memory)
  } catch (error) {
    if (error instanceof CardFormatError) return null
    throw error
  }
  if (payload === null) return null
  let decoded: ReturnType<typeof decodeCard>
  try {
    decoded = decodeCard(payload)
  } catch (error) {
    if (error instanceof CardFormatError) return null
    throw error
  }
  const publicKey = publicKeyOf(keys)
  const { fields } = decoded
  const otherSystem =
    Buffer.compare(Buffer.from(fields.keyId), Buffer.from(keyIdOf(publicKey))) !== 0
  return {
    acs_credential_id: fields.acsCredentialId,
    issue_number: fields.issueNumber,
    starts_at: fields.validFrom.getTime() === 0 ? null : fields.validFrom.toISOString(),
    ends_at: fields.validUntil?.toISOString() ?? null,
    entrances: fields.entrances,
    staff: fields.staff,
    override: fields.override,
    signature_valid: !otherSystem && hasValidSignature(decoded, publicKey),
    other_system: otherSystem,
  }
}

const bridgeOf = (target: EncoderTarget) => target.bridge

/**
 * The encoders of a Keysmith Cards system: NFC readers at a front desk, reached
 * through the bridge agent they hang off. The server signs the card image here and
 * hands the bytes to the agent; the agent writes, reads back and reports the tag's
 * UID. A job is the action attempt's: an attempt taken up again after a crash gets
 * the result the agent already gave (or the agent gets the job again, and never runs
 * it twice), so it may always run again.
 */
export const createBridgeDriver = (bridges: BridgeDispatch): Driver => ({
  timeoutMs: bridges.jobTimeoutMs,
  canRetry: () => true,
  async encode(request, signal) {
    const { target, credential } = request
    const bridge = bridgeOf(target)
    if (!bridge) return notAtBridge
    const keys = dataOf<SystemKeyData>(target.systemData, 'keysmith_cards')
    if (!target.secret || !keys) {
      return failure('uncategorized_error', 'The access system has no signing key.')
    }
    const privateKey = privateKeyOf(target.secret)
    const signed = encodeCard(
      {
        keyId: keyIdOf(publicKeyOf(keys)),
        acsCredentialId: credential.acs_credential_id,
        issueNumber: Math.min(request.numberOfIssuedCards, 0xffff),
        validFrom: credential.starts_at ? new Date(credential.starts_at) : epoch,
        validUntil: credential.ends_at ? new Date(credential.ends_at) : null,
        entrances: credential.entrances,
        staff: credential.staff,
        override: credential.override,
      },
      privateKey,
    )
    const memory = wrapNdef(signed)
    const outcome = await bridges.run(
      {
        attemptId: target.attemptId,
        bridgeId: bridge.bridgeId,
        acsEncoderId: target.acsEncoderId,
        readerName: bridge.readerName,
        operation: 'encode',
        memory,
      },
      signal,
    )
    if (!outcome.ok) return outcome
    const contents = readMemory(memory, keys)
    if (!contents) return failure('uncategorized_error', 'The signed card could not be read back.')
    const known = [request.cardOfCredential, request.cardOnEncoder].find(
      (card) => card?.card_number === outcome.uid,
    )
    const card: CardState<KeysmithCardContents> & { acs_card_id?: string } = {
      ...(known ? { acs_card_id: known.acs_card_id } : {}),
      card_number: outcome.uid,
      card_format: 'nfc_type2',
      contents,
    }
    return { ok: true, card }
  },
  async scan(request, signal) {
    const { target } = request
    const bridge = bridgeOf(target)
    if (!bridge) return notAtBridge
    const keys = dataOf<SystemKeyData>(target.systemData, 'keysmith_cards')
    if (!keys) return failure('uncategorized_error', 'The access system has no signing key.')
    const outcome = await bridges.run(
      {
        attemptId: target.attemptId,
        bridgeId: bridge.bridgeId,
        acsEncoderId: target.acsEncoderId,
        readerName: bridge.readerName,
        operation: 'scan',
      },
      signal,
    )
    if (!outcome.ok) return outcome
    return {
      ok: true,
      card: {
        card_number: outcome.uid,
        card_format: 'nfc_type2',
        contents: outcome.memory ? readMemory(outcome.memory, keys) : null,
      },
    }
  },
})
