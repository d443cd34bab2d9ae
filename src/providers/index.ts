import type { AccessSystemProvider } from './access-system.js'
import { assaAbloyVostio } from './assa-abloy-vostio/index.js'
import { dormakabaAmbiance } from './dormakaba-ambiance/index.js'
import { keysmithCards } from './keysmith-cards/index.js'
import { saltoKs } from './salto-ks/index.js'
import { saltoSpace } from './salto-space/index.js'
import type { ProviderSettings } from './settings.js'
import { unknownSystem } from './unknown.js'
import { visionline } from './visionline/index.js'

export type { ProviderSettings } from './settings.js'

/**
 * The access systems Keysmith knows, one line each. Adding an access system is one
 * folder under src/providers/ exporting a factory of an `AccessSystemProvider`, and
 * one line here (see README, "Adding an access system"). The order is the order of
 * the sandbox's sites.
 */
const accessSystems: ReadonlyArray<(settings: ProviderSettings) => AccessSystemProvider> = [
  visionline,
  saltoKs,
  saltoSpace,
  assaAbloyVostio,
  dormakabaAmbiance,
  keysmithCards,
]

/** The access systems Keysmith can drive, as the rest of the server sees them. */
export interface ProviderRegistry {
  /** The provider of an access system, by its `external_type` (a do-nothing one if unknown). */
  forSystem(externalType: string): AccessSystemProvider
  /** Every provider, in registry order. */
  all(): readonly AccessSystemProvider[]
}

/** A registry over the given providers. */
export const registryOf = (providers: readonly AccessSystemProvider[]): ProviderRegistry => {
  const byType = new Map(providers.map((provider) => [provider.externalType, provider]))
  return {
    forSystem: (externalType) => byType.get(externalType) ?? unknownSystem(externalType),
    all: () => providers,
  }
}

export const createProviderRegistry = (settings: ProviderSettings): ProviderRegistry =>
  registryOf(accessSystems.map((make) => make(settings)))
