import type { BridgeDispatch } from './types.js'

/** What the running server tells its access-system providers. */
export interface ProviderSettings {
  /** How long a sandbox encoder takes to encode or scan. */
  sandboxActionDelayMs: number
  /** Reaches bridge agents; absent where no encoder runs (e.g. an admin command). */
  bridges?: BridgeDispatch | undefined
}
