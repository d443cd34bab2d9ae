import { type ActionAttempt, ApiError, waitForAttempt } from './api.js'
import { showError, showStatus } from './dom.js'

/** What an action attempt's error means, in the front desk's words. */
const plainWords: Record<string, string> = {
  no_credential_on_encoder: 'There is no card on the encoder. Place a card on it and try again.',
  encoder_not_online: 'The encoder is offline. Check that it is plugged in and its bridge runs.',
  encoder_communication_timeout:
    'The encoder did not answer in time. Check the card lies flat on it and try again.',
  bridge_disconnected: 'The computer the encoder is attached to is not connected to Keysmith.',
  empty_card: 'The card on the encoder is blank.',
  encoding_interrupted:
    'The card left the encoder before it was written. Put it back and encode again.',
  action_attempt_expired: 'Nobody took up the request in time (was the server down?). Try again.',
  uncategorized_error: 'The encoder reported an error.',
}

export const describeError = (error: { type: string; message: string }): string => {
  const words = plainWords[error.type]
  return words ? `${words} (${error.message})` : error.message
}

/**
 * Starts an action (encode, scan, reset) and follows its attempt in `line`:
 * pending, then success (returns the finished attempt) or the error in plain words
 * (returns undefined).
 */
export const followAttempt = async (
  line: HTMLElement,
  what: { pending: string; success: string; failure: string },
  start: () => Promise<ActionAttempt>,
): Promise<ActionAttempt | undefined> => {
  try {
    showStatus(line, `${what.pending}…`, 'pending')
    const done = await waitForAttempt(await start(), () =>
      showStatus(line, `${what.pending}…`, 'pending'),
    )
    if (done.status === 'success') {
      showStatus(line, what.success, 'success')
      return done
    }
    const error = done.error ?? { type: 'uncategorized_error', message: 'Unknown error' }
    showStatus(line, `${what.failure}: ${describeError(error)}`, 'error')
    return undefined
  } catch (error) {
    if (error instanceof ApiError) {
      showStatus(line, `${what.failure}: ${error.message}`, 'error')
    } else {
      showError(line, error)
    }
    return undefined
  }
}
