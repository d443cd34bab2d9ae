import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type SeamHttp, SeamHttpApiError } from '@seamapi/http/connect'
import { SeamWebhook, SeamWebhookVerificationError } from '@seamapi/webhook'
import { type DatabaseKind, databaseKinds } from '../support/databases.js'
import { eventually } from '../support/poll.js'
import { WebhookReceiver } from '../support/receiver.js'
import { frontDesk, hotel, newCardCredential, since } from '../support/sandbox.js'
import { TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** Receivers that never answer are given up on after 4 s: long beside any delivery here. */
const receiverTimeoutMs = 4000
const fast = {
  KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: '50,100,150',
  KEYSMITH_WEBHOOK_TIMEOUT_MS: String(receiverTimeoutMs),
}

const useReceiver = (): WebhookReceiver => {
  const receiver = new WebhookReceiver()
  before(async () => {
    await receiver.start()
  })
  after(async () => {
    await receiver.stop()
  })
  return receiver
}

const encodeCard = async (seam: SeamHttp, name: string) => {
  const created = await newCardCredential(seam, name)
  await seam.acs.encoders.encodeCredential({
    acs_encoder_id: frontDesk,
    acs_credential_id: created.credential.acs_credential_id,
  })
  return created
}

const deliveriesOf = async (server: TestServer, webhookId: string): Promise<string> =>
  server.cli(['webhooks', 'deliveries', '--webhook-id', webhookId])

/**
 * The operator's view (`keysmith webhooks deliveries`) once it shows `status`. On
 * PGlite each look restarts the server, so look only after the receiver has seen
 * every try.
 */
const reportWhen = (server: TestServer, webhookId: string, status: string) =>
  eventually(
    async () => {
      const text = await deliveriesOf(server, webhookId)
      return text.includes(status) ? text : undefined
    },
    { intervalMs: 200, timeoutMs: 20_000, what: `a ${status} delivery` },
  )

forEachDatabase('webhooks', (kind) => {
  const server = useServer(kind, { env: fast })
  const receiver = useReceiver()

  test('create, get, list, update and delete; bad URLs and event types are refused', async () => {
    const seam = server.current.seam()
    const webhook = await seam.webhooks.create({ url: 'https://example.com/hooks' })
    assert.deepEqual(webhook.event_types, ['*'])
    assert.match(webhook.secret ?? '', /^whsec_[A-Za-z0-9+/=]{32}$/)
    assert.equal(
      (await seam.webhooks.get({ webhook_id: webhook.webhook_id })).url,
      'https://example.com/hooks',
    )
    assert.ok((await seam.webhooks.list()).some((w) => w.webhook_id === webhook.webhook_id))
    await seam.webhooks.update({
      webhook_id: webhook.webhook_id,
      event_types: ['acs_credential.issued'],
    })
    assert.deepEqual((await seam.webhooks.get({ webhook_id: webhook.webhook_id })).event_types, [
      'acs_credential.issued',
    ])
    await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
    for (const call of [
      seam.webhooks.get({ webhook_id: webhook.webhook_id }),
      seam.webhooks.delete({ webhook_id: webhook.webhook_id }),
    ]) {
      await assert.rejects(
        call,
        (e: unknown) => e instanceof SeamHttpApiError && e.code === 'webhook_not_found',
      )
    }
    for (const url of ['ftp://example.com/x', 'javascript:alert(1)', 'file:///etc/passwd']) {
      const response = await server.current.fetch('/webhooks/create', { json: { url } })
      assert.equal(response.status, 400, url)
      const body = (await response.json()) as {
        error: { type: string; validation_errors?: object }
      }
      assert.equal(body.error.type, 'invalid_input')
      assert.ok(body.error.validation_errors && 'url' in body.error.validation_errors)
    }
    await assert.rejects(
      seam.webhooks.create({
        url: 'https://example.com',
        event_types: ['acs_credential.teleported'],
      }),
      (e: unknown) => e instanceof SeamHttpApiError && e.code === 'invalid_input',
    )
  })

  test('acs_credential.issued arrives signed; @seamapi/webhook verifies it; a tampered body fails', async (t) => {
    const seam = server.current.seam()
    const webhook = await seam.webhooks.create({
      url: receiver.url,
      event_types: ['acs_credential.issued'],
    })
    const { credential } = await encodeCard(seam, 'Webhook Guest')
    const receipt = await eventually(
      async () =>
        receiver
          .ofType('acs_credential.issued')
          .find((r) => r.body.includes(credential.acs_credential_id)),
      { what: 'the acs_credential.issued delivery' },
    )
    const verifier = new SeamWebhook(webhook.secret ?? '')
    const event = verifier.verify(receipt.body, receipt.headers)
    assert.equal(event.event_type, 'acs_credential.issued')
    if (event.event_type === 'acs_credential.issued') {
      assert.equal(event.acs_credential_id, credential.acs_credential_id)
    }
    assert.equal(receipt.headers['content-type'], 'application/json')
    const [stored] = await seam.events.list({
      since,
      acs_credential_id: credential.acs_credential_id,
      event_type: 'acs_credential.issued',
    })
    assert.deepEqual(JSON.parse(receipt.body), stored)
    t.diagnostic(
      `event to delivery: ${receipt.receivedAt - new Date(stored?.created_at ?? '').getTime()} ms`,
    )

    const tampered = receipt.body.replace(
      credential.acs_credential_id,
      '00000000-0000-4000-8000-000000000000',
    )
    assert.throws(() => verifier.verify(tampered, receipt.headers), SeamWebhookVerificationError)
    assert.throws(
      () =>
        new SeamWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(
          receipt.body,
          receipt.headers,
        ),
      SeamWebhookVerificationError,
    )
    await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
  })

  test('only the event types a webhook asks for are delivered', async () => {
    const seam = server.current.seam()
    const filtered = new WebhookReceiver()
    await filtered.start()
    try {
      const webhook = await seam.webhooks.create({
        url: filtered.url,
        event_types: ['acs_user.created'],
      })
      const { user } = await encodeCard(seam, 'Filtered Guest')
      await eventually(async () => (filtered.receipts.length > 0 ? true : undefined))
      // A marker event for another webhook shows that everything before it was sent.
      const marker = new WebhookReceiver()
      await marker.start()
      const all = await seam.webhooks.create({ url: marker.url })
      await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Marker' })
      await eventually(async () =>
        marker.ofType('acs_user.created').length > 0 ? true : undefined,
      )
      await marker.stop()
      const types = filtered.receipts.map(
        (r) => (JSON.parse(r.body) as { event_type: string }).event_type,
      )
      assert.ok(
        types.every((type) => type === 'acs_user.created'),
        types.join(),
      )
      assert.ok(filtered.receipts.some((r) => r.body.includes(user.acs_user_id)))
      await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
      await seam.webhooks.delete({ webhook_id: all.webhook_id })
    } finally {
      await filtered.stop()
    }
  })

  test('failures are retried with the same webhook-id until the receiver takes it', async () => {
    const seam = server.current.seam()
    const flaky = new WebhookReceiver()
    flaky.answer = (_receipt, index) => (index < 2 ? 500 : 204)
    await flaky.start()
    try {
      const webhook = await seam.webhooks.create({
        url: flaky.url,
        event_types: ['acs_user.created'],
      })
      await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Flaky Guest' })
      await eventually(async () => (flaky.receipts.length >= 3 ? true : undefined))
      const ids = new Set(flaky.receipts.map((r) => r.headers['webhook-id']))
      assert.equal(ids.size, 1)
      const report = await reportWhen(server.current, webhook.webhook_id, 'delivered')
      assert.match(report, /try 1 .* 500 /)
      assert.match(report, /try 2 .* 500 /)
      assert.match(report, /try 3 .* 204 /)
      await server.current.seam().webhooks.delete({ webhook_id: webhook.webhook_id })
    } finally {
      await flaky.stop()
    }
  })

  test('a delivery is given up after the schedule, with every try on record', async () => {
    const seam = server.current.seam()
    const broken = new WebhookReceiver()
    broken.answer = () => 503
    await broken.start()
    try {
      const webhook = await seam.webhooks.create({
        url: broken.url,
        event_types: ['acs_user.created'],
      })
      await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Unlucky Guest' })
      await eventually(async () => (broken.receipts.length >= 4 ? true : undefined))
      const report = await reportWhen(server.current, webhook.webhook_id, 'failed')
      // Right away, then once after each of the three scheduled waits.
      assert.equal(broken.receipts.length, 4)
      assert.equal((report.match(/ {4}try \d/g) ?? []).length, 4)
      assert.match(report, /the receiver answered 503/)
      await server.current.seam().webhooks.delete({ webhook_id: webhook.webhook_id })
    } finally {
      await broken.stop()
    }
  })

  test('POST /_keysmith/webhook_deliveries/list: each delivery of the workspace with every try; another workspace sees none', async () => {
    const seam = server.current.seam()
    const flaky = new WebhookReceiver()
    flaky.answer = (_receipt, index) => (index < 1 ? 500 : 204)
    await flaky.start()
    const list = async (body: unknown, apiKey?: string) => {
      const response = await server.current.fetch('/_keysmith/webhook_deliveries/list', {
        json: body,
        ...(apiKey ? { headers: { authorization: `Bearer ${apiKey}` } } : {}),
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    try {
      const webhook = await seam.webhooks.create({
        url: flaky.url,
        event_types: ['acs_user.created'],
      })
      await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Listed Guest' })
      type Listed = {
        webhook_delivery_id: string
        webhook_id: string
        event_type: string
        status: string
        attempts: { attempt_number: number; status_code: number | null }[]
      }
      const delivered = await eventually(
        async () => {
          const { body } = await list({ webhook_id: webhook.webhook_id })
          const [delivery] = body.webhook_deliveries as Listed[]
          return delivery?.status === 'delivered' ? delivery : undefined
        },
        { what: 'the delivery, delivered' },
      )
      assert.equal(delivered.webhook_id, webhook.webhook_id)
      assert.equal(delivered.event_type, 'acs_user.created')
      assert.deepEqual(
        delivered.attempts.map((a) => [a.attempt_number, a.status_code]),
        [
          [1, 500],
          [2, 204],
        ],
      )
      assert.equal(flaky.receipts[0]?.headers['webhook-id'], delivered.webhook_delivery_id)
      // Filters, and the same credentials as /webhooks/list.
      const failed = await list({ webhook_id: webhook.webhook_id, status: 'failed' })
      assert.deepEqual(failed.body.webhook_deliveries, [])
      assert.equal((await list({ status: 'lost' })).status, 400)
      assert.equal((await list({ limit: 1_000 })).status, 400)
      assert.equal((await list({ webhook_ids: [] })).status, 400)
      const refused = await list({}, 'seam_not_a_key_at_all')
      assert.equal(refused.status, 401)
      // Another workspace neither sees the deliveries nor finds the webhook.
      const other = await server.current.createWorkspace('Deliveries elsewhere')
      const elsewhere = await list({}, other.apiKey)
      assert.deepEqual(elsewhere.body.webhook_deliveries, [])
      const foreign = await list({ webhook_id: webhook.webhook_id }, other.apiKey)
      assert.equal(foreign.status, 404)
      assert.equal((foreign.body.error as { type: string }).type, 'webhook_not_found')
      await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
    } finally {
      await flaky.stop()
    }
  })

  test("a receiver that does not answer holds up no other webhook's deliveries, and is retried after the timeout", async () => {
    const seam = server.current.seam()
    const slow = new WebhookReceiver()
    // The first request is left unanswered; the retry is answered.
    slow.answer = (_receipt, index) => (index === 0 ? 'hang' : 200)
    await slow.start()
    const quick = new WebhookReceiver()
    await quick.start()
    try {
      const hanging = await seam.webhooks.create({
        url: slow.url,
        event_types: ['acs_user.created'],
      })
      const prompt = await seam.webhooks.create({
        url: quick.url,
        event_types: ['acs_user.created'],
      })
      const started = Date.now()
      await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Busy Guest' })
      await eventually(async () => (slow.receipts.length > 0 ? true : undefined))
      await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Second Guest' })
      await eventually(async () => (quick.receipts.length >= 2 ? true : undefined))
      // Both reached the quick receiver before the slow one's request could time out.
      assert.ok(
        Date.now() - started < receiverTimeoutMs,
        'the quick webhook waited for the slow one',
      )
      assert.equal(slow.receipts.length, 1)

      // The unanswered request times out and is tried again.
      await eventually(async () => (slow.receipts.length >= 3 ? true : undefined), {
        what: 'the retry after the timeout',
      })
      const report = await reportWhen(server.current, hanging.webhook_id, 'delivered')
      assert.match(report, new RegExp(`try 1 .*no answer within ${receiverTimeoutMs} ms`))
      assert.match(report, /try 2 .* 200 /)
      const seamNow = server.current.seam()
      await seamNow.webhooks.delete({ webhook_id: hanging.webhook_id })
      await seamNow.webhooks.delete({ webhook_id: prompt.webhook_id })
    } finally {
      await slow.stop()
      await quick.stop()
    }
  })

  test('deleting a webhook drops its queued deliveries', async () => {
    const seam = server.current.seam()
    const down = new WebhookReceiver()
    down.answer = () => 500
    await down.start()
    try {
      const webhook = await seam.webhooks.create({
        url: down.url,
        event_types: ['acs_user.created'],
      })
      await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Dropped Guest' })
      await eventually(async () => (down.receipts.length > 0 ? true : undefined))
      await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
      assert.equal(
        (await deliveriesOf(server.current, webhook.webhook_id)).trim(),
        'No deliveries.',
      )
    } finally {
      await down.stop()
    }
  })
})

/** Work queued while the server is down (or the receiver is) is delivered after the restart. */
const restartSuite = (kind: DatabaseKind) =>
  describe(`webhook deliveries survive a restart [${kind.name}]`, { timeout: 120_000 }, () => {
    test('deliveries queued before a restart are made after it', async () => {
      const env = {
        KEYSMITH_WEBHOOK_RETRY_SCHEDULE_MS: Array.from({ length: 40 }, () => '250').join(','),
        KEYSMITH_WEBHOOK_TIMEOUT_MS: '500',
      }
      const server = await new TestServer(await kind.create(), { env }).start()
      const receiver = new WebhookReceiver()
      try {
        // Reserve a port for the receiver, then take it down: deliveries fail meanwhile.
        await receiver.start()
        const url = receiver.url
        const port = Number(new URL(url).port)
        await receiver.stop()
        const seam = server.seam()
        await seam.webhooks.create({ url, event_types: ['acs_user.created'] })
        const user = await seam.acs.users.create({
          acs_system_id: hotel,
          full_name: 'Queued Guest',
        })
        await server.kill()
        await server.start()
        await receiver.start(port)
        const receipt = await eventually(
          async () => receiver.receipts.find((r) => r.body.includes(user.acs_user_id)),
          { what: 'the delivery queued before the restart' },
        )
        assert.equal(
          (JSON.parse(receipt.body) as { event_type: string }).event_type,
          'acs_user.created',
        )
      } finally {
        await receiver.stop()
        await server.stop()
        await server.database.drop()
      }
    })

    if (kind.name === 'postgres') {
      test('two processes on one PostgreSQL deliver each delivery once', async () => {
        const database = await kind.create()
        const a = new TestServer(database, { env: fast })
        const b = new TestServer(database, { env: fast, apiKey: a.apiKey })
        const receiver = new WebhookReceiver()
        try {
          await a.start()
          await b.start()
          await receiver.start()
          await a.seam().webhooks.create({ url: receiver.url, event_types: ['acs_user.created'] })
          const users = await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              (i % 2 ? a : b)
                .seam()
                .acs.users.create({ acs_system_id: hotel, full_name: `Guest ${i}` }),
            ),
          )
          await eventually(async () =>
            receiver.receipts.length >= users.length ? true : undefined,
          )
          // Give any duplicate a chance to show: wait for a later marker delivery.
          await b.seam().acs.users.create({ acs_system_id: hotel, full_name: 'Marker' })
          await eventually(async () =>
            receiver.receipts.length >= users.length + 1 ? true : undefined,
          )
          const ids = receiver.receipts.map((r) => r.headers['webhook-id'])
          assert.equal(new Set(ids).size, ids.length)
          assert.equal(ids.length, users.length + 1)
        } finally {
          await receiver.stop()
          await a.stop()
          await b.stop()
          await database.drop()
        }
      })
    }
  })

for (const kind of databaseKinds) restartSuite(kind)
