import type { AcsSystemRow } from '../db/schema.js'
import { createSandboxVisionlineDriver } from './sandbox-visionline.js'
import type { EncoderDriver } from './types.js'

/** The access systems Keysmith can drive, as the rest of the server sees them. */
export interface ProviderRegistry {
  /** The driver of an access system's encoders; undefined when none can reach them. */
  encoderDriverFor(
    system: Pick<AcsSystemRow, 'external_type'>,
    isSandbox: boolean,
  ): EncoderDriver | undefined
}

export interface ProviderSettings {
  /** How long a sandbox encoder takes to encode or scan. */
  sandboxActionDelayMs: number
}

/**
 * Keysmith ships sandbox drivers; a driver for real hardware registers here by the
 * system's `external_type`.
 */
export const createProviderRegistry = (settings: ProviderSettings): ProviderRegistry => {
  const sandboxVisionline = createSandboxVisionlineDriver({
    delayMs: settings.sandboxActionDelayMs,
  })
  return {
    encoderDriverFor: (system, isSandbox) =>
      isSandbox && system.external_type === 'visionline_system' ? sandboxVisionline : undefined,
  }
}
