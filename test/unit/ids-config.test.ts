import assert from 'node:assert/strict'
import { resolve } from 'node:path'
import { describe, test } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.js'
import { stableId } from '../../src/domain/ids.js'
import { defaultRetryScheduleMs } from '../../src/events/retry-schedule.js'

const uuidV5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const workspaceA = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'
const workspaceB = '0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f'

describe('stableId', () => {
  test('is the same for the same workspace and name, on every run', () => {
    // Pinned: sandbox ids must survive restarts, resets and new releases.
    assert.equal(stableId(workspaceA, 'encoder:Front Desk'), 'c8b194f8-c5bd-5342-9698-cab28e3203a9')
    assert.equal(
      stableId(workspaceA, 'encoder:Front Desk'),
      stableId(workspaceA, 'encoder:Front Desk'),
    )
  })

  test('is a version 5, RFC 4122 variant UUID', () => {
    for (let i = 0; i < 500; i++) {
      assert.match(stableId(workspaceA, `entrance:${i}`), uuidV5)
    }
    assert.match(stableId('', ''), uuidV5)
    assert.match(stableId(workspaceB, 'ünïcødé 🔑'), uuidV5)
  })

  test('differs per workspace and per name', () => {
    const ids = new Set<string>()
    for (const workspace of [workspaceA, workspaceB]) {
      for (let i = 0; i < 250; i++) ids.add(stableId(workspace, `entrance:Room ${i}`))
    }
    assert.equal(ids.size, 500)
    assert.notEqual(stableId(workspaceA, 'x'), stableId(workspaceB, 'x'))
    assert.notEqual(stableId(workspaceA, 'x'), stableId(workspaceA, 'X'))
  })
})

const configError = (env: NodeJS.ProcessEnv, message: string): void => {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`)
      assert.equal(error.message, message)
      return true
    },
  )
}

describe('loadConfig', () => {
  test('defaults', () => {
    assert.deepEqual(loadConfig({}), {
      port: 3000,
      host: '127.0.0.1',
      dataDir: resolve('.keysmith'),
      databaseUrl: undefined,
      seedApiKey: undefined,
      sandboxActionDelayMs: 500,
      actionAttemptTimeoutMs: 60_000,
      workerPollMs: 250,
      workerConcurrency: 8,
      actionLeaseMs: 10_000,
      runWorkers: true,
      webhookRetryScheduleMs: defaultRetryScheduleMs,
      webhookTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      shutdownTimeoutMs: 30_000,
      databaseWaitMs: 30_000,
      rateLimit: { rate: 1000, burst: 2000 },
      bridgeHeartbeatMs: 5_000,
      bridgeGraceMs: 5_000,
      bridgeJobTimeoutMs: 45_000,
      logLevel: 'info',
      logFormat: 'auto',
    })
  })

  test('empty variables mean the default', () => {
    assert.deepEqual(
      loadConfig({
        PORT: '',
        HOST: '',
        KEYSMITH_DATA_DIR: '',
        DATABASE_URL: '',
        KEYSMITH_SEED_API_KEY: '',
        KEYSMITH_SANDBOX_ACTION_DELAY_MS: '',
        KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: '',
        KEYSMITH_WORKERS: '',
        LOG_LEVEL: '',
      }),
      loadConfig({}),
    )
  })

  test('every variable is read', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      KEYSMITH_DATA_DIR: '/var/lib/keysmith',
      DATABASE_URL: 'postgresql://keysmith:secret@db:5432/keysmith',
      KEYSMITH_SEED_API_KEY: 'seam_test_12345678',
      KEYSMITH_SANDBOX_ACTION_DELAY_MS: '0',
      KEYSMITH_ACTION_ATTEMPT_TIMEOUT_MS: '1000',
      KEYSMITH_WORKER_POLL_MS: '10',
      KEYSMITH_WORKER_CONCURRENCY: '3',
      KEYSMITH_ACTION_LEASE_MS: '2000',
      KEYSMITH_WORKERS: 'off',
      KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: '100, 200,300',
      KEYSMITH_WEBHOOK_TIMEOUT_MS: '50',
      KEYSMITH_REQUEST_TIMEOUT_MS: '2000',
      KEYSMITH_HEADERS_TIMEOUT_MS: '300',
      KEYSMITH_KEEP_ALIVE_TIMEOUT_MS: '400',
      KEYSMITH_SHUTDOWN_TIMEOUT_MS: '500',
      KEYSMITH_DATABASE_WAIT_MS: '0',
      KEYSMITH_RATE_LIMIT: '5:10',
      KEYSMITH_BRIDGE_HEARTBEAT_MS: '100',
      KEYSMITH_BRIDGE_GRACE_MS: '200',
      KEYSMITH_BRIDGE_JOB_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'debug',
      KEYSMITH_LOG_FORMAT: 'json',
    })
    assert.deepEqual(config, {
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/keysmith',
      databaseUrl: 'postgresql://keysmith:secret@db:5432/keysmith',
      seedApiKey: 'seam_test_12345678',
      sandboxActionDelayMs: 0,
      actionAttemptTimeoutMs: 1000,
      workerPollMs: 10,
      workerConcurrency: 3,
      actionLeaseMs: 2000,
      runWorkers: false,
      webhookRetryScheduleMs: [100, 200, 300],
      webhookTimeoutMs: 50,
      requestTimeoutMs: 2000,
      headersTimeoutMs: 300,
      keepAliveTimeoutMs: 400,
      shutdownTimeoutMs: 500,
      databaseWaitMs: 0,
      rateLimit: { rate: 5, burst: 10 },
      bridgeHeartbeatMs: 100,
      bridgeGraceMs: 200,
      bridgeJobTimeoutMs: 3000,
      logLevel: 'debug',
      logFormat: 'json',
    })
  })

  test('a relative data folder is resolved against the working directory', () => {
    assert.equal(loadConfig({ KEYSMITH_DATA_DIR: 'data/db' }).dataDir, resolve('data/db'))
  })

  test('PORT: 0 picks a free port; anything but a non-negative integer is refused', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0)
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535)
    configError({ PORT: 'eighty' }, 'PORT must be an integer >= 0, got "eighty"')
    configError({ PORT: '-1' }, 'PORT must be an integer >= 0, got "-1"')
    configError({ PORT: '3000.5' }, 'PORT must be an integer >= 0, got "3000.5"')
    configError({ PORT: '30OO' }, 'PORT must be an integer >= 0, got "30OO"')
  })

  test('PORT above 65535 is refused when the configuration is read', () => {
    assert.throws(() => loadConfig({ PORT: '65536' }), ConfigError)
    assert.throws(() => loadConfig({ PORT: '70000' }), ConfigError)
  })

  test('other durations are checked with their own minimum', () => {
    configError(
      { KEYSMITH_ACTION_ATTEMPT_TIMEOUT_MS: '0' },
      'KEYSMITH_ACTION_ATTEMPT_TIMEOUT_MS must be an integer >= 1, got "0"',
    )
    configError(
      { KEYSMITH_WORKER_POLL_MS: '0' },
      'KEYSMITH_WORKER_POLL_MS must be an integer >= 1, got "0"',
    )
    configError(
      { KEYSMITH_WEBHOOK_TIMEOUT_MS: 'soon' },
      'KEYSMITH_WEBHOOK_TIMEOUT_MS must be an integer >= 1, got "soon"',
    )
    configError(
      { KEYSMITH_SANDBOX_ACTION_DELAY_MS: '-5' },
      'KEYSMITH_SANDBOX_ACTION_DELAY_MS must be an integer >= 0, got "-5"',
    )
    configError(
      { KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: '5s,10s' },
      'KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: a retry schedule is a comma-separated list of milliseconds, got "5s,10s"',
    )
  })

  test('KEYSMITH_WORKERS is on or off', () => {
    assert.equal(loadConfig({ KEYSMITH_WORKERS: 'on' }).runWorkers, true)
    configError(
      { KEYSMITH_WORKERS: 'false' },
      'KEYSMITH_WORKERS must be "on" or "off", got "false"',
    )
    configError({ KEYSMITH_WORKERS: 'OFF' }, 'KEYSMITH_WORKERS must be "on" or "off", got "OFF"')
  })

  test('DATABASE_URL must be a postgres:// or postgresql:// URL', () => {
    assert.equal(
      loadConfig({ DATABASE_URL: 'postgres://localhost/keysmith' }).databaseUrl,
      'postgres://localhost/keysmith',
    )
    assert.equal(
      loadConfig({ DATABASE_URL: 'postgresql://localhost/keysmith' }).databaseUrl,
      'postgresql://localhost/keysmith',
    )
    const message = 'DATABASE_URL must start with postgres:// or postgresql://'
    for (const url of [
      'mysql://localhost/keysmith',
      'localhost:5432',
      'postgres:localhost',
      'postgres:/localhost',
      'pg://localhost',
      ' postgres://localhost',
    ]) {
      configError({ DATABASE_URL: url }, message)
    }
  })

  test('KEYSMITH_SEED_API_KEY must look like a Seam API key', () => {
    for (const key of [
      'seam_test_12345678',
      'seam_abcdefgh',
      'seam_ks_AbC-dEf_0123456789abcdefghijKLMNOP',
    ]) {
      assert.equal(loadConfig({ KEYSMITH_SEED_API_KEY: key }).seedApiKey, key)
    }
    const message =
      'KEYSMITH_SEED_API_KEY must look like a Seam API key: "seam_" followed by at least 8 letters, digits, "_" or "-" (and not seam_at…, seam_cst…, seam_pk…)'
    for (const key of [
      'abcdefghijkl',
      'seam_abcdefg',
      'SEAM_abcdefgh',
      'seam_abc.defgh',
      'seam_abc defgh',
      'seam_abcdefgh\n',
      // Access tokens, client session tokens and publishable keys are not API keys.
      'seam_at1_abcdefgh',
      'seam_atabcdefgh',
      'seam_cst1_abcdefgh',
      'seam_pk1_abcdefgh',
    ]) {
      configError({ KEYSMITH_SEED_API_KEY: key }, message)
    }
  })
})
