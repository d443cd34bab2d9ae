import { setTimeout as wait } from 'node:timers/promises'
import type { CardState, DriverError, EncoderDriver, ScanResult } from '../types.js'

/**
 * The sandbox's Salto KS encoder: a desktop reader that reads tags, never writes
 * them (Salto KS tags carry no credential; the system knows them by number). A tag
 * lies on it at first, registered in the system; once a tag is assigned, its holder
 * takes it away, and the next scan reads a fresh tag the system does not know yet
 * (a scan with `salto_ks_metadata.detect_new_tags` registers it). Each read takes
 * `delayMs`, in an abortable wait.
 */

/** A tag's number as Salto KS reports it: its 7-byte UID in hex. */
export type NewTagNumber = () => string

const messages: Record<string, string> = {
  no_credential_on_encoder: 'No tag was presented to the Salto KS encoder.',
  encoder_not_online: 'The Salto KS encoder is offline.',
  encoder_communication_timeout: 'The Salto KS encoder did not answer in time.',
}

const failure = (type: string): { ok: false; error: DriverError } => ({
  ok: false,
  error: { type, message: messages[type] ?? 'The Salto KS encoder could not read the tag.' },
})

export const createSandboxTagReader = ({
  delayMs,
  newTagNumber,
}: {
  delayMs: number
  newTagNumber: NewTagNumber
}): EncoderDriver => {
  const freshTag = (): CardState => ({
    card_number: newTagNumber(),
    card_format: 'mifare_desfire',
    contents: null,
  })
  return {
    timeoutMs: delayMs + 10_000,
    canRetry: () => true,
    async encode(_request, signal) {
      await wait(delayMs, undefined, { signal })
      return {
        ok: false,
        error: {
          type: 'uncategorized_error',
          message: 'Salto KS tags are not encoded: assign them with scan_to_assign_credential.',
        },
      }
    },
    async scan(request, signal): Promise<ScanResult> {
      await wait(delayMs, undefined, { signal })
      const { simulation, cardOnEncoder } = request
      if (simulation?.outcome === 'error') return failure(simulation.error_code)
      const tag = cardOnEncoder ?? freshTag()
      return { ok: true, card: { ...tag, contents: null } }
    },
  }
}
