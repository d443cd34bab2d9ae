import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventually } from '../support/poll.js'
import { frontDesk, newCardCredential } from '../support/sandbox.js'
import type { TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** `GET /metrics`: Prometheus text whose figures move with the traffic. */

const scrape = async (server: TestServer): Promise<string> => {
  const response = await fetch(new URL('/metrics', server.url))
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
  return response.text()
}

/** The value of one sample, by metric name and exact labels; 0 when absent. */
const sample = (text: string, name: string, labels: Record<string, string>): number => {
  const wanted = Object.entries(labels)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const labelText = line.slice(name.length + 1, line.indexOf('}'))
    const found = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    )
    if (wanted.every(([key, value]) => found[key] === value)) {
      return Number(line.slice(line.lastIndexOf(' ') + 1))
    }
  }
  return 0
}

forEachDatabase('metrics', (kind) => {
  const server = useServer(kind)

  test('requests, action attempts, webhooks, the pool and the process are reported, and move', async () => {
    const s = server.current
    const seam = s.seam()
    const before = await scrape(s)
    // Whatever method the SDK uses for it.
    const listed = { route: '/acs/systems/list', status: '200' }
    const listedBefore = sample(before, 'keysmith_http_requests_total', listed)
    for (let i = 0; i < 3; i++) await seam.acs.systems.list()
    await assert.rejects(
      seam.acs.systems.get({ acs_system_id: '00000000-0000-4000-8000-000000000000' }),
    )

    const { credential } = await newCardCredential(seam, 'Metric Guest')
    await seam.acs.encoders.encodeCredential({
      acs_encoder_id: frontDesk,
      acs_credential_id: credential.acs_credential_id,
    })
    const encoded = { action_type: 'ENCODE_CREDENTIAL', status: 'success', error_type: '' }
    const after = await eventually(
      async () => {
        const text = await scrape(s)
        return sample(text, 'keysmith_action_attempts_total', encoded) >= 1 ? text : undefined
      },
      { what: 'the encoding to be counted' },
    )
    assert.equal(sample(after, 'keysmith_http_requests_total', listed), listedBefore + 3)
    assert.ok(
      sample(after, 'keysmith_http_request_duration_seconds_count', listed) >= listedBefore + 3,
    )
    assert.equal(
      sample(after, 'keysmith_http_requests_total', {
        route: '/acs/systems/get',
        status: '404',
      }),
      1,
    )
    assert.ok(
      sample(after, 'keysmith_action_attempt_duration_seconds_count', {
        action_type: 'ENCODE_CREDENTIAL',
        status: 'success',
      }) >= 1,
    )
    assert.match(after, /^keysmith_webhook_deliveries\{status="pending"\} \d+$/m)
    assert.match(after, /^keysmith_webhook_deliveries\{status="failed"\} \d+$/m)
    assert.match(after, /^keysmith_db_pool_connections\{state="idle"\} \d+$/m)
    assert.ok(
      sample(after, 'keysmith_process_resident_memory_bytes', {}) > 0 ||
        /keysmith_process_resident_memory_bytes \d+/.test(after),
    )
  })
})
