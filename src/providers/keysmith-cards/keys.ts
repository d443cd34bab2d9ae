import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { keyIdOf } from '../../cards/format.js'

/**
 * A Keysmith Cards system's Ed25519 key pair. The private key (PKCS#8 DER) is the
 * system's secret: stored sealed, opened only for the driver's job. The public key
 * (PEM) is on the system row, for scans and for `keysmith systems public-key`.
 */

export interface SystemKeyData {
  public_key: string
  /** Hex of the key id every card of the system carries. */
  key_id: string
}

export const newSystemKeys = (): { data: SystemKeyData; secret: Uint8Array } => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  return {
    data: {
      public_key: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      key_id: Buffer.from(keyIdOf(publicKey)).toString('hex'),
    },
    secret: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })),
  }
}

export const privateKeyOf = (secret: Uint8Array): KeyObject =>
  createPrivateKey({ key: Buffer.from(secret), format: 'der', type: 'pkcs8' })

export const publicKeyOf = (data: SystemKeyData): KeyObject => createPublicKey(data.public_key)
