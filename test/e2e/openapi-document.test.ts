import assert from 'node:assert/strict'
import { test } from 'node:test'
import { getOpenapiSchema } from '@seamapi/http/connect'
import { openapi } from '@seamapi/types/connect'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * `GET /openapi.json`: the pinned document cut to what this server serves, as the
 * official SDK's `getOpenapiSchema()` fetches it.
 */

interface ServedDocument {
  openapi: string
  info: { title: string }
  servers: { url: string }[]
  paths: Record<string, Record<string, { security: Record<string, string[]>[] }>>
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> }
}

const pinned = openapi as unknown as { info: { title: string }; paths: Record<string, unknown> }

const accepted = [
  'api_key',
  'pat_with_workspace',
  'pat_without_workspace',
  'client_session',
  'publishable_key',
]

forEachDatabase('/openapi.json', (kind) => {
  const server = useServer(kind)

  test('the SDK fetches the document, cut to the served endpoints and accepted credentials', async () => {
    const document = (await getOpenapiSchema(server.current.url)) as ServedDocument
    assert.match(document.openapi, /^3\.\d+\.\d+$/)
    assert.equal(document.info.title, pinned.info.title)
    assert.deepEqual(document.servers, [{ url: server.current.url }])
    const paths = Object.keys(document.paths)
    assert.ok(paths.includes('/acs/encoders/encode_credential'))
    assert.ok(paths.includes('/client_sessions/get_or_create'))
    assert.ok(!paths.includes('/devices/list'), 'an endpoint Keysmith does not serve is left out')
    assert.ok(paths.length < Object.keys(pinned.paths).length)
    // Only the schemes Keysmith accepts, and every operation names only those.
    assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), [...accepted].sort())
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(operation.security.length > 0, `${method} ${path} accepts some credential`)
        for (const requirement of operation.security) {
          for (const scheme of Object.keys(requirement)) {
            assert.ok(scheme in document.components.securitySchemes, `${method} ${path}: ${scheme}`)
          }
        }
      }
    }
    // Every $ref points at a schema the document carries.
    const refs = JSON.stringify(document).match(/"#\/components\/schemas\/[^"]+"/g) ?? []
    for (const ref of new Set(refs)) {
      const name = ref.slice('"#/components/schemas/'.length, -1)
      assert.ok(name in document.components.schemas, `${ref} resolves`)
    }
  })

  test('every path in it answers (401 without a credential, never endpoint_not_found)', async () => {
    const document = (await getOpenapiSchema(server.current.url)) as ServedDocument
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        const response = await fetch(new URL(path, server.current.url), {
          method: method.toUpperCase(),
          ...(method === 'get'
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: '{}' }),
        })
        const body = (await response.json()) as { error?: { type: string } }
        assert.equal(response.status, 401, `${method} ${path}: ${JSON.stringify(body)}`)
        assert.notEqual(body.error?.type, 'endpoint_not_found')
      }
    }
  })

  test('/docs is an API reference of that document, served from the package (no CDN)', async () => {
    const page = await fetch(new URL('/docs', server.current.url))
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
    const html = await page.text()
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '')
    assert.ok(sources.length >= 3)
    for (const source of sources) {
      assert.match(source, /^\/docs\//, `${source} is served by Keysmith itself`)
      const asset = await fetch(new URL(source, server.current.url))
      assert.equal(asset.status, 200, source)
      assert.ok((await asset.arrayBuffer()).byteLength > 0)
    }
    const init = await (await fetch(new URL('/docs/init.js', server.current.url))).text()
    assert.match(init, /url: '\/openapi\.json'/)
    const bundle = await fetch(new URL('/docs/swagger-ui-bundle.js', server.current.url))
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/)
    assert.ok((await bundle.arrayBuffer()).byteLength > 500_000)
    assert.equal((await fetch(new URL('/docs/package.json', server.current.url))).status, 404)
  })
})
