import { randomUUID } from 'node:crypto'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import { nestsDeeperThan, requestLimits } from './contract/limits.js'
import { operationMethods, servedDocument } from './contract/openapi.js'
import { type RequestContract, requestContract } from './contract/validation.js'
import { outsideDeadline, withDeadline } from './db/deadline.js'
import { actionTypes } from './domain/action-attempts.js'
import type { DomainContext, Principal, WorkspaceScope } from './domain/context.js'
import { DomainError } from './domain/errors.js'
import { enforceRateLimit } from './domain/rate-limit.js'
import { authenticate } from './http/auth.js'
import { registerConsole } from './http/console.js'
import { registerDocs } from './http/docs.js'
import { answerClientError, type ErrorBody, toHttpFailure } from './http/errors.js'
import { extensionRoutes } from './http/extensions.js'
import type { RouteDefinition } from './http/route.js'
import { documentSecurityTable, type SecurityTable, servedSchemes } from './http/security.js'
import { routes as allRoutes } from './routes/index.js'

export interface ServerOptions {
  ctx: DomainContext
  logger: FastifyBaseLogger
  routes?: RouteDefinition[]
  /** Answers /health with 200 only while this returns true. */
  isReady?: () => boolean
  /** Which credentials each operation accepts; the pinned document's by default. */
  security?: SecurityTable
  /** Registers more routes (the operator's admin channel) on the app. */
  extend?: (app: FastifyInstance) => void
  /** What /ready reports: 200 when every check passes, else 503. */
  readiness?: () => Promise<Readiness>
  /** True once the process is shutting down: new requests get 503. */
  isDraining?: () => boolean
  timeouts?: Partial<Timeouts>
}

export interface Readiness {
  ready: boolean
  checks: Record<string, string>
}

export interface Timeouts {
  /** A request still running after this answers 503; its changes roll back. */
  requestMs: number
  /** The request line and headers must arrive within this. */
  headersMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number
}

export const defaultTimeouts: Timeouts = {
  requestMs: 30_000,
  headersMs: 10_000,
  keepAliveMs: 5_000,
}

const publicUrl = (request: FastifyRequest): URL =>
  new URL(request.url, `${request.protocol}://${request.host}`)

/**
 * The HTTP app: every endpoint of `routes` on each method the OpenAPI document lists
 * for it, behind the authentication its operation's `security` asks for and contract
 * validation, answering in Seam's shapes.
 */

export const buildServer = (options: ServerOptions): FastifyInstance => {
  const { ctx } = options
  const security = options.security ?? documentSecurityTable()
  const timeouts = { ...defaultTimeouts, ...options.timeouts }
  // Node checks header and request timeouts on an interval; it must be shorter than them.
  const checkEveryMs = Math.max(50, Math.min(1_000, Math.floor(timeouts.headersMs / 2)))
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // Requests are validated against the OpenAPI document (contract/validation.ts);
    // no route declares a Fastify schema, so Fastify's own Ajv is never loaded.
    schemaController: {
      compilersFactory: {
        buildValidator: () => () => {
          throw new Error('Keysmith routes declare no Fastify schema: see contract/validation.ts')
        },
      },
    },
    bodyLimit: requestLimits.bodyBytes,
    // A slow or idle client cannot hold a connection: the headers must arrive within
    // headersMs, the whole request within requestMs, and a connection silent for
    // longer than both is closed. Requests waiting on the server are bounded by the
    // request deadline below, not by these.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.keepAliveMs + timeouts.requestMs + timeouts.headersMs,
    http: {
      // GET takes what POST takes: a list of thousands of ids fits in the query string.
      maxHeaderSize: requestLimits.urlAndHeadersBytes,
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: checkEveryMs,
    },
    // While draining, requests are answered in Seam's shape (the hook below).
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    routerOptions: { ignoreTrailingSlash: true },
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header('seam-request-id', request.id)
    if (options.isDraining?.()) {
      reply.header('connection', 'close')
      return reply.status(503).send({
        error: {
          type: 'service_unavailable',
          message: 'The server is shutting down; retry the request',
          request_id: request.id,
        },
      } satisfies ErrorBody)
    }
  })
  // While draining, each connection serves what it has in flight and then closes.
  app.addHook('onSend', async (_request, reply) => {
    if (options.isDraining?.()) reply.header('connection', 'close')
  })
  // One structured line per request.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        // A URL can be 1 MiB long; the log keeps its start.
        url: request.url.length > 2000 ? `${request.url.slice(0, 2000)}…` : request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        workspace_id: request.workspaceId,
        ...(request.failure
          ? { error_type: request.failure.type, error_message: request.failure.message }
          : {}),
      },
      'request',
    )
  })

  // Parameters come as JSON. An empty body means "no parameters" whatever its
  // declared type: the official SDK posts parameterless requests, such as
  // /workspaces/reset_sandbox, as an empty form body.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (typeof body !== 'string' || body.trim() === '') return done(null, undefined)
    // Checked before parsing: a deeply nested body is refused at the cost of one scan.
    if (nestsDeeperThan(body, requestLimits.nestingDepth)) {
      const message = `Parameters nest objects or arrays more than ${requestLimits.nestingDepth} levels deep`
      return done(
        new DomainError('invalid_input', 'invalid_input', `Invalid input: ${message}`, {
          _errors: [message],
        }),
      )
    }
    try {
      done(null, JSON.parse(body))
    } catch {
      done(new DomainError('invalid_input', 'invalid_input', 'The request body is not valid JSON'))
    }
  })
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    if (typeof body !== 'string' || body.length === 0) return done(null, undefined)
    done(
      new DomainError(
        'unsupported_media_type',
        'unsupported_media_type',
        'Send parameters as JSON (Content-Type: application/json) or in the query string',
      ),
    )
  })

  const sendError = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    const failure = toHttpFailure(error)
    if (failure.unexpected) request.log.error({ err: error }, 'unexpected error')
    request.failure = { type: failure.type, message: failure.message.slice(0, 500) }
    const body: ErrorBody = {
      error: {
        type: failure.type,
        message: failure.message,
        request_id: request.id,
        ...(failure.validationErrors ? { validation_errors: failure.validationErrors } : {}),
      },
    }
    if (failure.headers) reply.headers(failure.headers)
    return reply.status(failure.status).send(body)
  }
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error))

  const knownPaths = new Map<string, string[]>()
  app.setNotFoundHandler((request, reply) => {
    const path = publicUrl(request).pathname.replace(/\/$/, '')
    const methods = knownPaths.get(path)
    if (methods) {
      reply.header('allow', methods.join(', '))
      return reply.status(405).send({
        error: {
          type: 'method_not_allowed',
          message: `${path} accepts ${methods.join(', ')}`,
          request_id: request.id,
        },
      } satisfies ErrorBody)
    }
    request.failure = { type: 'endpoint_not_found', message: `No endpoint ${path}` }
    return reply.status(404).send({
      error: { type: 'endpoint_not_found', message: `No endpoint ${path}`, request_id: request.id },
    } satisfies ErrorBody)
  })

  // Liveness: the process is up and serving.
  app.get('/health', async (_request, reply) => {
    const ready = options.isReady?.() ?? true
    return reply.status(ready ? 200 : 503).send({ ok: ready })
  })
  // Readiness, for orchestrators: database reachable, migrations applied, workers running.
  app.get('/ready', async (_request, reply) => {
    const { ready, checks } = (await options.readiness?.()) ?? { ready: true, checks: {} }
    return reply.status(ready ? 200 : 503).send({ ok: ready, ...checks })
  })

  // The contract as this server serves it: what the official SDK's getOpenapiSchema()
  // and the Seam CLI's remote-schema mode fetch. Public, like Seam's own.
  const served = servedDocument(
    (options.routes ?? allRoutes).map((definition) => definition.path),
    servedSchemes,
    actionTypes,
  )
  app.get('/openapi.json', async (request) => ({
    ...served,
    servers: [{ url: publicUrl(request).origin }],
  }))

  registerDocs(app)
  registerConsole(app)
  options.extend?.(app)

  /**
   * How every endpoint answers: within the request deadline, the caller authenticated
   * as `credentialsOf` accepts, a rate-limit token taken, then `run`; `{ ...body, ok }`.
   */
  const answer =
    (
      credentialsOf: string,
      workspace: 'required' | 'optional',
      run: (
        request: FastifyRequest,
        principal: Principal,
        scope: WorkspaceScope | undefined,
      ) => Promise<object>,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = await withDeadline(timeouts.requestMs, async () => {
        const principal = await authenticate(ctx, security, request, credentialsOf)
        // Taking a token writes to the database: that write is not the request's
        // own change, and must not keep its deadline from firing.
        await outsideDeadline(() => enforceRateLimit(ctx, principal))
        const scope = principal.workspace
        if (!scope && workspace === 'required') {
          // The document lets no such endpoint be called without a workspace; this
          // only guards against a route registered with the wrong helper.
          throw new DomainError('unauthorized', 'unauthorized', 'This endpoint needs a workspace')
        }
        return run(request, principal, scope)
      })
      return reply.send({ ...body, ok: true })
    }

  // Keysmith's own endpoints (http/extensions.ts), with the credentials of the Seam
  // endpoint each extends.
  for (const extension of extensionRoutes) {
    knownPaths.set(extension.path, ['POST'])
    app.post(
      extension.path,
      answer(extension.extends, 'required', (request, _principal, scope) =>
        // `answer` made sure of the workspace.
        extension.handle({ ctx, scope: scope as WorkspaceScope, body: request.body }),
      ),
    )
  }

  for (const definition of options.routes ?? allRoutes) {
    const contract: RequestContract<unknown> = requestContract(definition.path)
    const methods = operationMethods(definition.path).map((m) => m.toUpperCase())
    knownPaths.set(definition.path, methods)
    app.route({
      method: methods as ('GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE')[],
      url: definition.path,
      handler: answer(definition.path, definition.workspace, (request, principal, scope) => {
        const url = publicUrl(request)
        const fromQuery = request.method === 'GET' || request.body === undefined
        const input = fromQuery
          ? contract.fromQuery(url.searchParams)
          : contract.fromBody(request.body)
        return definition.handle({ input: input as never, principal, scope, ctx, url })
      }),
    })
  }
  return app
}
