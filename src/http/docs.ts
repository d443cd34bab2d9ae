import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'

/**
 * `GET /docs`: an API reference of `/openapi.json` (the document as this server serves
 * it), drawn by Swagger UI from the `swagger-ui-dist` package: its files are served
 * from node_modules, so the page works offline and loads nothing from a CDN.
 * (`swagger-ui-dist` is pinned at 5.17.14: later releases depend on a package with an
 * install script.)
 */

const assetsDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Keysmith API reference</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  </head>
  <body>
    <main id="reference" aria-label="Keysmith API reference"></main>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`

// Swagger UI calls every endpoint with POST and a Bearer token (an API key or PAT).
const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  tryItOutEnabled: false,
  persistAuthorization: false,
})
`

export const registerDocs = (app: FastifyInstance): void => {
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page))
  app.get('/docs/init.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(init),
  )
  app.get('/docs/:asset', async (request, reply) => {
    const { asset } = request.params as { asset: string }
    const type = assets[asset]
    if (!type) {
      return reply.status(404).send({
        error: {
          type: 'endpoint_not_found',
          message: `No endpoint /docs/${asset}`,
          request_id: request.id,
        },
      })
    }
    reply.header('cache-control', 'public, max-age=86400')
    return reply.type(type).send(await readFile(join(assetsDir, asset)))
  })
}
