import { createProviderRegistry } from '../../src/providers/index.js'

/**
 * What a sandbox workspace is seeded with, counted from the providers' sandbox sites,
 * so that a test counting seeded rows or events keeps passing when an access system
 * is added (and still fails when seeding loses or doubles something).
 */
const sites = createProviderRegistry({ sandboxActionDelayMs: 0 })
  .all()
  .flatMap((provider) =>
    provider.sandboxSite
      ? [{ externalType: provider.externalType, site: provider.sandboxSite }]
      : [],
  )

const sum = (count: (site: (typeof sites)[number]['site']) => number) =>
  sites.reduce((total, { site }) => total + count(site), 0)

const siteOf = (externalType: string) => {
  const found = sites.find((s) => s.externalType === externalType)
  if (!found) throw new Error(`no sandbox site of ${externalType}`)
  return found.site
}

export const sandboxCounts = {
  /** Sites, and so connected accounts and access systems. */
  systems: sites.length,
  entrances: sum((site) => site.doors.length),
  encoders: sum((site) => site.encoders.length),
  accessGroups: sum((site) => site.accessGroups?.length ?? 0),
  /** Guests who came with a site (the sandbox guest, with a card each). */
  guests: sum((site) => site.guests?.length ?? 0),
  /** Events seeding records: an account connected, a system, each entrance and encoder added. */
  seedingEvents: sum((site) => 2 + site.doors.length + site.encoders.length),
  entrancesOf: (externalType: string) => siteOf(externalType).doors.length,
  encodersOf: (externalType: string) => siteOf(externalType).encoders.length,
}
