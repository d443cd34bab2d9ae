import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'

/**
 * `GET /`: the front-desk console, a small single-page app that calls the public API
 * with the API key the user signs in with (nothing here authenticates it: every call
 * it makes goes through the API's own checks). Its TypeScript (`src/console/`) is
 * compiled by `tsc -p src/console/tsconfig.json` in `build` and `prepare`, into
 * `dist/src/console/`, next to this module's own output (`dist/src/http/`); its one
 * HTML page and one stylesheet are served from the sources (`src/console/`), which a
 * clone or an installed package has beside `dist/`. No CDN, no bundler.
 */

const compiledDir = fileURLToPath(new URL('../console/', import.meta.url))
const sourceDir = fileURLToPath(new URL('../../../src/console/', import.meta.url))

/** One path segment or more of plain names ending in .js: nothing climbs out of the folder. */
const modulePath = /^(?:[a-z0-9-]+\/)*[a-z0-9-]+\.js$/

// The console runs only its own scripts and talks only to this origin.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const notFound = (reply: FastifyReply, requestId: string, path: string) =>
  reply.status(404).send({
    error: { type: 'endpoint_not_found', message: `No endpoint ${path}`, request_id: requestId },
  })

export const registerConsole = (app: FastifyInstance): void => {
  const secure = (reply: FastifyReply) =>
    reply
      .header('content-security-policy', contentSecurityPolicy)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')

  app.get('/', async (request, reply) => {
    if (!existsSync(`${compiledDir}app.js`)) {
      return reply.status(503).send({
        error: {
          type: 'service_unavailable',
          message: 'The console is not built: run `npm run build`',
          request_id: request.id,
        },
      })
    }
    secure(reply).header('cache-control', 'no-cache')
    return reply.type('text/html; charset=utf-8').send(await readFile(`${sourceDir}index.html`))
  })

  app.get('/console/console.css', async (_request, reply) => {
    secure(reply).header('cache-control', 'no-cache')
    return reply.type('text/css; charset=utf-8').send(await readFile(`${sourceDir}console.css`))
  })

  app.get('/console/*', async (request, reply) => {
    const path = (request.params as { '*': string })['*']
    if (!modulePath.test(path)) return notFound(reply, request.id, `/console/${path}`)
    try {
      const body = await readFile(`${compiledDir}${path}`)
      secure(reply).header('cache-control', 'no-cache')
      return reply.type('text/javascript; charset=utf-8').send(body)
    } catch {
      return notFound(reply, request.id, `/console/${path}`)
    }
  })
}
