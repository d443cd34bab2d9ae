import { sql } from 'kysely'
import type { Executor } from './schema.js'

/**
 * Takes one token from a credential's bucket in one atomic statement (INSERT … ON
 * CONFLICT DO UPDATE … RETURNING locks the row), so every process on the database
 * shares the bucket. The bucket is refilled by the time since its last update (`rate`
 * per second, at most `burst`), then one token is taken if there is a whole one.
 *
 * A refusal is stored as `tokens - 1` (a negative number) so that it takes nothing:
 * the next request adds the 1 back before refilling. Returns the stored value: >= 0
 * when the token was taken; when negative, -tokens / rate seconds until one is there.
 */
export const takeRateLimitToken = async (
  db: Executor,
  credentialKey: string,
  now: Date,
  rate: number,
  burst: number,
): Promise<number> => {
  const previous = sql`(case when rate_limit_buckets.tokens < 0 then rate_limit_buckets.tokens + 1 else rate_limit_buckets.tokens end)`
  const elapsed = sql`greatest(0, extract(epoch from (${now}::timestamptz - rate_limit_buckets.updated_at)))`
  const refilled = sql`least(${burst}::double precision, ${previous} + ${elapsed} * ${rate}::double precision)`
  const result = await sql<{ tokens: number }>`
    insert into rate_limit_buckets as rate_limit_buckets (credential_key, tokens, updated_at)
    values (${credentialKey}, ${burst - 1}::double precision, ${now}::timestamptz)
    on conflict (credential_key) do update set
      tokens = ${refilled} - 1,
      updated_at = greatest(rate_limit_buckets.updated_at, ${now}::timestamptz)
    returning tokens`.execute(db)
  const row = result.rows[0]
  if (!row) throw new Error('rate_limit_buckets upsert returned nothing')
  return Number(row.tokens)
}

/**
 * Takes up to `want` tokens from a credential's bucket at once, for a process that
 * hands them out itself (see domain/rate-limit.ts): the bucket is refilled as above,
 * then as many whole tokens as it holds, at most `want`, are taken. With none there
 * it is a refusal, stored as takeRateLimitToken stores one. The row is locked for the
 * short transaction, so processes sharing the database share the bucket exactly.
 * Returns the tokens granted (0: refused) and the stored value (as above).
 */
export const takeRateLimitTokens = async (
  db: Executor,
  credentialKey: string,
  now: Date,
  rate: number,
  burst: number,
  want: number,
): Promise<{ granted: number; tokens: number }> => {
  if (want <= 1) {
    const tokens = await takeRateLimitToken(db, credentialKey, now, rate, burst)
    return { granted: tokens >= 0 ? 1 : 0, tokens }
  }
  return db.transaction().execute(async (trx) => {
    await sql`
      insert into rate_limit_buckets (credential_key, tokens, updated_at)
      values (${credentialKey}, ${burst}::double precision, ${now}::timestamptz)
      on conflict (credential_key) do nothing`.execute(trx)
    const locked = await sql<{ tokens: number; updated_at: Date }>`
      select tokens, updated_at from rate_limit_buckets
      where credential_key = ${credentialKey} for update`.execute(trx)
    const row = locked.rows[0]
    if (!row) throw new Error('rate_limit_buckets row vanished')
    const previous = row.tokens < 0 ? Number(row.tokens) + 1 : Number(row.tokens)
    const updatedAt = new Date(row.updated_at)
    const elapsed = Math.max(0, (now.getTime() - updatedAt.getTime()) / 1000)
    const refilled = Math.min(burst, previous + elapsed * rate)
    const granted = refilled >= 1 ? Math.min(want, Math.floor(refilled)) : 0
    const tokens = refilled - Math.max(granted, 1)
    await sql`
      update rate_limit_buckets
      set tokens = ${tokens}::double precision,
        updated_at = greatest(updated_at, ${now}::timestamptz)
      where credential_key = ${credentialKey}`.execute(trx)
    return { granted, tokens }
  })
}
