/**
 * The warnings of a scan: "this card is out of date, re-encode it" and "this card's
 * credential is not on the server". What a card carries, and on which properties it
 * differs from the server's credential, is its access system's (`readCard` and
 * `outOfSyncProperties` of its provider; the common part in providers/card-comparison.ts).
 */

export type ScanWarning = {
  warning_code: 'acs_credential_on_encoder_out_of_sync' | 'acs_credential_on_seam_not_found'
  warning_message: string
}

export const outOfSyncWarning = (properties: readonly string[]): ScanWarning => ({
  warning_code: 'acs_credential_on_encoder_out_of_sync',
  warning_message: `The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ${properties.join(', ')}`,
})

export const notOnSeamWarning = (): ScanWarning => ({
  warning_code: 'acs_credential_on_seam_not_found',
  warning_message:
    'The credential on the card does not exist on Seam: it was deleted or was never created through Seam.',
})

/**
 * Something wrong with the card itself (its access system says what): it cannot be
 * trusted as written, so it is out of sync with the server whatever it says.
 */
export const cardProblemWarning = (problem: string): ScanWarning => ({
  warning_code: 'acs_credential_on_encoder_out_of_sync',
  warning_message: problem,
})
