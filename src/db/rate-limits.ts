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
