/** What the running server tells its access-system providers. */
export interface ProviderSettings {
  /** How long a sandbox encoder takes to encode or scan. */
  sandboxActionDelayMs: number
}
