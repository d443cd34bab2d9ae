import { takeRateLimitToken } from '../db/rate-limits.js'
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

export const enforceRateLimit = async (ctx: DomainContext, principal: Principal): Promise<void> => {
  const limit = ctx.settings.rateLimit
  if (!limit) return
  const tokens = await takeRateLimitToken(
    ctx.db,
    credentialKey(principal),
    ctx.now(),
    limit.rate,
    limit.burst,
  )
  if (tokens >= 0) return
  const retryAfterSeconds = Math.max(1, Math.ceil(-tokens / limit.rate))
  throw new RateLimitedError(
    `Too many requests with this credential (limit: ${limit.rate} per second, bursts of ${limit.burst}); retry in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  )
}
