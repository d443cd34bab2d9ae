import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Webhook } from 'standardwebhooks'
import { ConfigError, loadConfig } from '../../src/config.js'
import { DomainError } from '../../src/domain/errors.js'
import { checkEventTypes, generateWebhookSecret } from '../../src/domain/webhooks.js'
import {
  defaultRetryScheduleMs,
  parseRetrySchedule,
  retryDelayAfter,
} from '../../src/events/retry-schedule.js'
import { signedHeaders } from '../../src/events/webhook-delivery.js'

test("the default schedule is Seam's: eight tries over about 27.5 hours", () => {
  const total = defaultRetryScheduleMs.reduce((sum, delay) => sum + delay, 0)
  assert.equal(defaultRetryScheduleMs.length + 1, 8)
  assert.equal(total, 5_000 + 5 * 60_000 + 30 * 60_000 + 27 * 3_600_000)
  assert.equal(retryDelayAfter(defaultRetryScheduleMs, 1), 5_000)
  assert.equal(retryDelayAfter(defaultRetryScheduleMs, 3), 30 * 60_000)
  assert.equal(retryDelayAfter(defaultRetryScheduleMs, 7), 10 * 3_600_000)
  assert.equal(retryDelayAfter(defaultRetryScheduleMs, 8), undefined)
})

test('a schedule is configurable in milliseconds, and refused when malformed', () => {
  assert.deepEqual(parseRetrySchedule('50, 100,150'), [50, 100, 150])
  assert.deepEqual(
    loadConfig({ KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: '10,20' }).webhookRetryScheduleMs,
    [10, 20],
  )
  for (const bad of ['fast', '10,,20', '-5', '1.5']) {
    assert.throws(() => loadConfig({ KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: bad }), ConfigError, bad)
  }
})

test('deliveries are signed so that a Standard Webhooks verifier accepts them', () => {
  const secret = generateWebhookSecret()
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/)
  const body = JSON.stringify({ event_id: 'e', event_type: 'acs_user.created' })
  const headers = signedHeaders(secret, 'msg_1', body, new Date())
  assert.equal(headers['webhook-id'], 'msg_1')
  assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body))
  assert.throws(() => new Webhook(secret).verify(`${body} `, headers))
})

test('event types are * or types the document names', () => {
  assert.deepEqual(checkEventTypes(undefined), ['*'])
  assert.deepEqual(checkEventTypes(['acs_credential.issued', 'acs_credential.issued']), [
    'acs_credential.issued',
  ])
  assert.throws(() => checkEventTypes(['acs_credential.exploded']), DomainError)
})
