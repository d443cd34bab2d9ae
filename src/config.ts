import { resolve } from 'node:path'
import { defaultRetryScheduleMs, parseRetrySchedule } from './events/retry-schedule.js'

/** Everything the server reads from its environment, parsed once at start. */
export interface Config {
  /** TCP port to listen on; 0 picks a free one. */
  port: number
  host: string
  /** PGlite data folder, used when `databaseUrl` is not set. */
  dataDir: string
  /** `postgres://…` switches storage to a real PostgreSQL. */
  databaseUrl: string | undefined
  /** API key given to the sandbox workspace when it is first created. */
  seedApiKey: string | undefined
  /** How long a sandbox encoder takes to encode or scan a card. */
  sandboxActionDelayMs: number
  /** A pending action attempt older than this ends as `action_attempt_expired`. */
  actionAttemptTimeoutMs: number
  /** How often each process looks for due background work. */
  workerPollMs: number
  /** Most action attempts one process runs at once (one at a time per encoder). */
  workerConcurrency: number
  /** How long an action attempt's lease lasts unrenewed: how soon a crashed process's work is taken up. */
  actionLeaseMs: number
  /**
   * Whether this process runs background work (action attempts, webhook deliveries).
   * `off` makes an API-only process; another process on the same PostgreSQL does the work.
   */
  runWorkers: boolean
  /** Waits before each retry of a failed webhook delivery; after the last, it fails. */
  webhookRetryScheduleMs: readonly number[]
  /** How long a webhook receiver has to answer. */
  webhookTimeoutMs: number
  /** A request still running after this answers 503 and its changes roll back. */
  requestTimeoutMs: number
  /** A client must send a request's headers within this (slowloris). */
  headersTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** SIGTERM drains for at most this long, then the process exits anyway. */
  shutdownTimeoutMs: number
  /** How long `keysmith start` waits for PostgreSQL to accept connections. */
  databaseWaitMs: number
  /** Requests per second per credential, with a burst; undefined: no limit. */
  rateLimit: RateLimit | undefined
  /** How often the server pings bridge agents; one silent for 3 of these is offline. */
  bridgeHeartbeatMs: number
  /** How long an encode or scan waits for an offline bridge to come back. */
  bridgeGraceMs: number
  /** Longest one job on a bridge's reader may take (the agent waits for a card). */
  bridgeJobTimeoutMs: number
  logLevel: string
  /** `json`: one JSON line per event; `pretty`: readable lines; `auto`: pretty on a terminal. */
  logFormat: 'auto' | 'json' | 'pretty'
}

export interface RateLimit {
  /** Tokens added per second. */
  rate: number
  /** Most tokens a bucket holds: how many requests may come at once. */
  burst: number
}

/** The default: far above what an app (or any test or seed flow) sends per credential. */
export const defaultRateLimit: RateLimit = { rate: 1000, burst: 2000 }

/** `KEYSMITH_RATE_LIMIT`: `100` (100/s, burst 100), `100:200` (burst 200) or `off`. */
export const parseRateLimit = (raw: string | undefined): RateLimit | undefined => {
  if (raw === undefined || raw === '') return defaultRateLimit
  if (raw === 'off') return undefined
  const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(raw)
  const rate = Number(match?.[1])
  const burst = match?.[2] === undefined ? Math.max(1, Math.ceil(rate)) : Number(match[2])
  if (!match || !(rate > 0) || !Number.isSafeInteger(burst) || burst < 1) {
    throw new ConfigError(
      `KEYSMITH_RATE_LIMIT must be "<requests per second>[:<burst>]" (e.g. 100 or 100:200) or "off", got "${raw}"`,
    )
  }
  return { rate, burst }
}

export class ConfigError extends Error {}

/** A whole number written in plain digits (not `0x50`, `1e3` or ` 80 `), within bounds. */
const integer = (
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number => {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`)
  }
  if (value > max) throw new ConfigError(`${name} must be at most ${max}, got "${raw}"`)
  return value
}

const onOff = (env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean => {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (raw === 'on') return true
  if (raw === 'off') return false
  throw new ConfigError(`${name} must be "on" or "off", got "${raw}"`)
}

const retrySchedule = (env: NodeJS.ProcessEnv): readonly number[] => {
  const raw = env.KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS
  if (raw === undefined || raw === '') return defaultRetryScheduleMs
  try {
    return parseRetrySchedule(raw)
  } catch (error) {
    throw new ConfigError(`KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: ${(error as Error).message}`)
  }
}

const logFormat = (raw: string | undefined): Config['logFormat'] => {
  if (raw === undefined || raw === '') return 'auto'
  if (raw === 'auto' || raw === 'json' || raw === 'pretty') return raw
  throw new ConfigError('KEYSMITH_LOG_FORMAT must be auto, json or pretty')
}

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const databaseUrl = env.DATABASE_URL || undefined
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://')
  }
  const seedApiKey = env.KEYSMITH_SEED_API_KEY || undefined
  if (seedApiKey !== undefined && !/^seam_(?!at|cst|pk)[A-Za-z0-9_-]{8,}$/.test(seedApiKey)) {
    throw new ConfigError(
      'KEYSMITH_SEED_API_KEY must look like a Seam API key: "seam_" followed by at least 8 letters, digits, "_" or "-" (and not seam_at…, seam_cst…, seam_pk…)',
    )
  }
  return {
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.KEYSMITH_DATA_DIR || '.keysmith'),
    databaseUrl,
    seedApiKey,
    sandboxActionDelayMs: integer(env, 'KEYSMITH_SANDBOX_ACTION_DELAY_MS', 500),
    actionAttemptTimeoutMs: integer(env, 'KEYSMITH_ACTION_ATTEMPT_TIMEOUT_MS', 60_000, 1),
    workerPollMs: integer(env, 'KEYSMITH_WORKER_POLL_MS', 250, 1),
    workerConcurrency: integer(env, 'KEYSMITH_WORKER_CONCURRENCY', 8, 1, 1_000),
    actionLeaseMs: integer(env, 'KEYSMITH_ACTION_LEASE_MS', 10_000, 300),
    runWorkers: onOff(env, 'KEYSMITH_WORKERS', true),
    webhookRetryScheduleMs: retrySchedule(env),
    webhookTimeoutMs: integer(env, 'KEYSMITH_WEBHOOK_TIMEOUT_MS', 10_000, 1),
    requestTimeoutMs: integer(env, 'KEYSMITH_REQUEST_TIMEOUT_MS', 30_000, 1),
    headersTimeoutMs: integer(env, 'KEYSMITH_HEADERS_TIMEOUT_MS', 10_000, 1),
    keepAliveTimeoutMs: integer(env, 'KEYSMITH_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1),
    shutdownTimeoutMs: integer(env, 'KEYSMITH_SHUTDOWN_TIMEOUT_MS', 30_000, 1),
    databaseWaitMs: integer(env, 'KEYSMITH_DATABASE_WAIT_MS', 30_000, 0),
    rateLimit: parseRateLimit(env.KEYSMITH_RATE_LIMIT),
    bridgeHeartbeatMs: integer(env, 'KEYSMITH_BRIDGE_HEARTBEAT_MS', 5_000, 50),
    bridgeGraceMs: integer(env, 'KEYSMITH_BRIDGE_GRACE_MS', 5_000, 0),
    bridgeJobTimeoutMs: integer(env, 'KEYSMITH_BRIDGE_JOB_TIMEOUT_MS', 45_000, 1),
    logLevel: env.LOG_LEVEL || 'info',
    logFormat: logFormat(env.KEYSMITH_LOG_FORMAT),
  }
}
