import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { findSealedSecret, insertSealedSecret } from '../db/acs-system-secrets.js'
import { findServerSecret } from '../db/client-sessions.js'
import type { Executor } from '../db/schema.js'

/**
 * An access system's secret (say, the Ed25519 key its cards are signed with) is
 * stored sealed with AES-256-GCM under the deployment's key: KEYSMITH_SECRETS_KEY
 * (32 bytes, base64) when set, so a copy of the database alone opens nothing; else
 * the key migration 0009 made in `server_secrets`. No API returns a secret; only the
 * system's encoder driver gets it opened, for the job it runs.
 *
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */

const envKeyName = 'KEYSMITH_SECRETS_KEY'

export class SecretsKeyError extends Error {}

const deploymentKey = async (db: Executor): Promise<Buffer> => {
  const fromEnv = process.env[envKeyName]
  const encoded = fromEnv || (await findServerSecret(db, 'acs_system_secrets'))
  if (!encoded)
    throw new SecretsKeyError('server_secrets has no acs_system_secrets (migration 0009)')
  const key = Buffer.from(encoded, 'base64')
  if (key.length !== 32) {
    throw new SecretsKeyError(
      `${fromEnv ? envKeyName : 'acs_system_secrets'} must be 32 bytes, base64`,
    )
  }
  return key
}

export const seal = (key: Buffer, secret: Uint8Array, context: string): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  // The system's id is bound in: a sealed secret copied to another system does not open.
  cipher.setAAD(Buffer.from(context))
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()])
  return ['v1', iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

export const unseal = (key: Buffer, sealed: string, context: string): Uint8Array => {
  const [version, iv, tag, ciphertext] = sealed.split('.')
  if (version !== 'v1' || !iv || !tag || ciphertext === undefined) {
    throw new SecretsKeyError('not a sealed secret')
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  decipher.setAAD(Buffer.from(context))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  try {
    return new Uint8Array(
      Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]),
    )
  } catch {
    throw new SecretsKeyError(
      `a system secret does not open with this deployment's key (was ${envKeyName} changed?)`,
    )
  }
}

/** Stores a new system's secret, sealed, in the caller's transaction. */
export const storeSystemSecret = async (
  db: Executor,
  acsSystemId: string,
  secret: Uint8Array,
  now: Date,
): Promise<void> => {
  const sealed = seal(await deploymentKey(db), secret, acsSystemId)
  await insertSealedSecret(db, { acs_system_id: acsSystemId, sealed, created_at: now })
}

/** The system's secret, opened; null when it has none. */
export const openSystemSecret = async (
  db: Executor,
  acsSystemId: string,
): Promise<Uint8Array | null> => {
  const sealed = await findSealedSecret(db, acsSystemId)
  return sealed === undefined ? null : unseal(await deploymentKey(db), sealed, acsSystemId)
}
