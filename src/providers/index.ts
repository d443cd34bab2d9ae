import type { AcsSystemRow } from '../db/schema.js'
import { sandboxVisionlineDriver } from './sandbox-visionline.js'
import type { EncoderDriver } from './types.js'

/**
 * The driver for an access system's encoders. Keysmith ships sandbox drivers; a
 * driver for real hardware registers here by the system's `external_type`.
 */
export const encoderDriverFor = (
  system: Pick<AcsSystemRow, 'external_type'>,
  isSandbox: boolean,
): EncoderDriver | undefined => {
  if (isSandbox && system.external_type === 'visionline_system') return sandboxVisionlineDriver
  return undefined
}
