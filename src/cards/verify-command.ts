import { readFileSync } from 'node:fs'
import { decide, readDump, readPublicKey } from './format.js'

export interface VerifyOptions {
  publicKeyFile: string
  entrance: string
  at: string | undefined
  dumpFile: string
}

/**
 * `keysmith cards verify`: what a lock of one door would decide for a card dump,
 * offline. Exit code 0 when it opens, 1 when it is refused (the reason is printed).
 */
export const verifyCardDump = (options: VerifyOptions): { exitCode: number; text: string } => {
  const entrance = /^\d+$/.test(options.entrance) ? Number(options.entrance) : Number.NaN
  if (!Number.isInteger(entrance) || entrance > 0xffff) {
    throw new Error(`--entrance must be a door number 0..65535, got "${options.entrance}"`)
  }
  const at = options.at === undefined ? new Date() : new Date(options.at)
  if (Number.isNaN(at.getTime()))
    throw new Error(`--at must be an ISO 8601 time, got "${options.at}"`)
  const publicKey = readPublicKey(readFileSync(options.publicKeyFile, 'utf8'))
  const decision = decide(readDump(readFileSync(options.dumpFile)), publicKey, entrance, at)
  const card = decision.card
  const lines = card
    ? [
        `credential: ${card.acsCredentialId} (card ${card.issueNumber}${card.staff ? ', staff' : ', guest'}${card.override ? ', override' : ''})`,
        `valid: ${card.validFrom.toISOString()} to ${card.validUntil?.toISOString() ?? 'no end'}`,
        `doors: ${card.entrances.join(', ') || 'none'}`,
      ]
    : []
  const verdict = decision.open
    ? `open: door ${entrance} at ${at.toISOString()}`
    : `refused: ${decision.reason} (${decision.detail})`
  return { exitCode: decision.open ? 0 : 1, text: `${[verdict, ...lines].join('\n')}\n` }
}
