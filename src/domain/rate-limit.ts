import { takeRateLimitTokens } from '../db/rate-limits.js'
import type { Executor } from '../db/schema.js'
import type { DomainContext, Principal } from './context.js'
import { RateLimitedError } from './errors.js'

/**
 * Rate limits, per credential: a token bucket of `KEYSMITH_RATE_LIMIT` (requests per
 * second, with a burst) kept in the database, so every process on one PostgreSQL
 * counts against the same bucket. Over it: 429 `rate_limited` with Retry-After, which
 * the official SDK honours when it retries an idempotent request.
 */

/** One bucket per credential: an API key, a PAT, a publishable key, a client session. */
export const credentialKey = (principal: Principal): string => {
  switch (principal.kind) {
    case 'api_key':
      return `api_key:${principal.api_key_id}`
    case 'personal_access_token':
      return `personal_access_token:${principal.personal_access_token_id}`
    case 'publishable_key':
      return `publishable_key:${principal.publishable_key_id}`
    case 'client_session':
      return `client_session:${principal.client_session_id}`
  }
}

/**
 * How far ahead a process takes tokens from a shared bucket: a batch of what the rate
 * refills in this long (1000/s: 50 tokens), so at the default limit one statement in 50
 * requests touches the database instead of one per request. A batch is used within
 * `leaseMs` or dropped, so at most one batch per process is taken early from the
 * shared bucket; below 40 requests per second a batch is one token, exactly as if
 * nothing were held locally.
 */
const batchSeconds = 0.05
const leaseMs = 1_000
/** Leases not renewed for this long are forgotten (client sessions come and go). */
const sweepEvery = 10_000

interface Lease {
  tokens: number
  expiresAt: number
  /** The batch being taken from the database, which concurrent requests wait for. */
  refill: Promise<void> | undefined
}

interface Leases {
  byKey: Map<string, Lease>
  lastSweep: number
}

const leasesByDatabase = new WeakMap<Executor, Leases>()

const leasesOf = (db: Executor): Leases => {
  let leases = leasesByDatabase.get(db)
  if (!leases) {
    leases = { byKey: new Map(), lastSweep: Date.now() }
    leasesByDatabase.set(db, leases)
  }
  return leases
}

export const batchSize = (rate: number, burst: number): number =>
  Math.max(1, Math.min(Math.floor(rate * batchSeconds), Math.floor(burst / 2)))

const refused = (tokens: number, rate: number, burst: number): RateLimitedError => {
  const retryAfterSeconds = Math.max(1, Math.ceil(-tokens / rate))
  return new RateLimitedError(
    `Too many requests with this credential (limit: ${rate} per second, bursts of ${burst}); retry in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  )
}

export const enforceRateLimit = async (ctx: DomainContext, principal: Principal): Promise<void> => {
  const limit = ctx.settings.rateLimit
  if (!limit) return
  const key = credentialKey(principal)
  const want = batchSize(limit.rate, limit.burst)
  if (want <= 1) {
    const { tokens } = await takeRateLimitTokens(ctx.db, key, ctx.now(), limit.rate, limit.burst, 1)
    if (tokens < 0) throw refused(tokens, limit.rate, limit.burst)
    return
  }
  const leases = leasesOf(ctx.db)
  const clock = Date.now()
  if (clock - leases.lastSweep > sweepEvery) {
    leases.lastSweep = clock
    for (const [k, lease] of leases.byKey) {
      if (lease.expiresAt < clock && !lease.refill) leases.byKey.delete(k)
    }
  }
  let lease = leases.byKey.get(key)
  if (!lease) {
    lease = { tokens: 0, expiresAt: 0, refill: undefined }
    leases.byKey.set(key, lease)
  }
  for (;;) {
    if (lease.tokens > 0 && lease.expiresAt >= Date.now()) {
      lease.tokens--
      return
    }
    if (lease.refill) {
      await lease.refill
      continue
    }
    const current = lease
    let refusal: RateLimitedError | undefined
    current.refill = takeRateLimitTokens(ctx.db, key, ctx.now(), limit.rate, limit.burst, want)
      .then(({ granted, tokens }) => {
        current.tokens = granted
        current.expiresAt = Date.now() + leaseMs
        if (granted === 0) refusal = refused(tokens, limit.rate, limit.burst)
      })
      .finally(() => {
        current.refill = undefined
      })
    await current.refill
    if (refusal) throw refusal
  }
}
