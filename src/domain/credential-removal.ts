import { findAccessMethodOfCredential } from '../db/access-grants.js'
import { deleteAcsCredentials } from '../db/acs-credentials.js'
import type { AcsCredentialRow, Executor } from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import { invalidInput } from './errors.js'

/** Removing credentials: the rules every path that deletes one (users, grants, methods) shares. */

/** Deletes credentials and records `acs_credential.deleted` for each, in the caller's transaction. */
export const deleteCredentialRows = async (
  db: Executor,
  rows: readonly AcsCredentialRow[],
  now: Date,
): Promise<void> => {
  await deleteAcsCredentials(
    db,
    rows.map((row) => row.acs_credential_id),
  )
  for (const row of rows) {
    await recordEvent(
      db,
      row.workspace_id,
      'acs_credential.deleted',
      {
        acs_credential_id: row.acs_credential_id,
        acs_system_id: row.acs_system_id,
        connected_account_id: row.connected_account_id,
      },
      now,
    )
  }
}

/** A credential an Access Grant made belongs to its access method: only revoking that removes it. */
export const assertNotManagedByAccessGrant = async (
  db: Executor,
  credential: AcsCredentialRow,
): Promise<void> => {
  const method = await findAccessMethodOfCredential(db, credential.acs_credential_id)
  if (method) {
    throw invalidInput(
      `Credential ${credential.acs_credential_id} was made by access method ${method.access_method_id} of Access Grant ${method.access_grant_id}; delete the access method or the Access Grant instead`,
      'acs_credential_id',
    )
  }
}
