import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { SeamHttp } from '@seamapi/http/connect'
import { assertErrorBody } from '../support/contract.js'
import { sandboxWorkspaceId, TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Rate limits: a token bucket per credential (KEYSMITH_RATE_LIMIT, here one token per 2 s
 * with bursts of 3), shared by every process on one PostgreSQL. Over it: 429 in Seam's
 * error shape with Retry-After, and the official SDK's retry of an idempotent request
 * waits that long and recovers.
 */

// Slow refill (one token per 2 s), so a bucket emptied stays empty for the next request
// even on a loaded machine.
const limited = { KEYSMITH_RATE_LIMIT: '0.5:3' }

const exhaust = async (server: TestServer, apiKey: string): Promise<Response> => {
  for (let i = 0; i < 20; i++) {
    const response = await server.fetch('/workspaces/get', {
      json: {},
      headers: { authorization: `Bearer ${apiKey}` },
    })
    if (response.status === 429) return response
    assert.equal(response.status, 200)
    await response.arrayBuffer()
  }
  assert.fail('never limited')
}

forEachDatabase('rate limits', (kind) => {
  const server = useServer(kind, { env: limited })
  let otherKey = ''

  before(async () => {
    const output = await server.current.cli([
      'api-keys',
      'create',
      '--workspace-id',
      sandboxWorkspaceId,
    ])
    otherKey = /API key: (\S+)/.exec(output)?.[1] ?? ''
    assert.ok(otherKey)
  })

  test('over the limit: 429 with Retry-After in Seam’s error shape, per credential', async () => {
    const s = server.current
    const started = Date.now()
    const response = await exhaust(s, s.apiKey)
    // The burst of 3 passed (and perhaps one more token refilled meanwhile).
    assert.ok(Date.now() - started < 2000)
    const retryAfter = Number(response.headers.get('retry-after'))
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${retryAfter}`)
    const body = (await response.json()) as { error: { type: string; request_id: string } }
    assertErrorBody(body)
    assert.equal(body.error.type, 'rate_limited')
    assert.equal(body.error.request_id, response.headers.get('seam-request-id'))
    // Another key of the same workspace has a bucket of its own.
    const other = await s.fetch('/workspaces/get', {
      json: {},
      headers: { authorization: `Bearer ${otherKey}` },
    })
    assert.equal(other.status, 200)
    // After Retry-After the key works again.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000))
    const again = await s.fetch('/workspaces/get', { json: {} })
    assert.equal(again.status, 200)
  })

  test('the official SDK retries an idempotent request after a 429 and recovers', async () => {
    const s = server.current
    await exhaust(s, s.apiKey)
    let retries = 0
    const seam = new SeamHttp({
      apiKey: s.apiKey,
      endpoint: s.url,
      axiosRetryOptions: {
        onRetry: () => {
          retries += 1
        },
      },
    })
    // /workspaces/get is a GET in the SDK: idempotent, so retried.
    const workspace = await seam.workspaces.get()
    assert.equal(workspace.workspace_id, sandboxWorkspaceId)
    assert.ok(retries >= 1, 'the SDK retried')
  })

  if (kind.name === 'postgres') {
    test('every process on the database shares the bucket', async () => {
      const s = server.current
      const second = await new TestServer(s.database, {
        apiKey: s.apiKey,
        env: { ...limited, KEYSMITH_WORKERS: 'off' },
      }).start()
      try {
        await exhaust(s, otherKey)
        const response = await second.fetch('/workspaces/get', {
          json: {},
          headers: { authorization: `Bearer ${otherKey}` },
        })
        assert.equal(response.status, 429)
        assert.ok(Number(response.headers.get('retry-after')) >= 1)
      } finally {
        await second.stop()
      }
    })
  }
})
