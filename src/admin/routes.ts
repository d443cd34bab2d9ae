import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Executor } from '../db/schema.js'
import { adminPathPrefix } from './channel.js'
import { type AdminArgs, isAdminOperation, runAdminOperation } from './operations.js'

/**
 * The server's side of the admin channel (channel.ts): `/_keysmith/admin/<op>`,
 * answered only for the token in the data folder's admin.json and only from this
 * machine.
 */

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

const sameToken = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected))

const isLoopback = (address: string | undefined): boolean =>
  address === '::1' || /^(::ffff:)?127\./.test(address ?? '')

const adminFailure = (status: number, type: string, message: string) => ({
  status,
  body: { error: { type, message } },
})

/** Serves the admin operations on `app`, for requests bearing `token`. */
export const registerAdminRoutes = (
  app: FastifyInstance,
  options: { db: Executor; token: string; now: () => Date },
): void => {
  app.post(`${adminPathPrefix}:operation`, async (request, reply) => {
    const { remoteAddress, localAddress } = request.socket
    const given = /^Bearer\s+(\S+)$/.exec(request.headers.authorization ?? '')?.[1]
    const local = isLoopback(remoteAddress) || remoteAddress === localAddress
    if (!local || !given || !sameToken(given, options.token)) {
      const failure = adminFailure(401, 'unauthorized', 'Not an admin request of this server')
      return reply.status(failure.status).send(failure.body)
    }
    const { operation } = request.params as { operation: string }
    if (!isAdminOperation(operation)) {
      const failure = adminFailure(404, 'endpoint_not_found', `No admin operation ${operation}`)
      return reply.status(failure.status).send(failure.body)
    }
    const body = request.body as { args?: unknown } | undefined
    const args = (
      typeof body?.args === 'object' && body.args !== null ? body.args : {}
    ) as AdminArgs
    // DomainErrors answer in the API's error shape through the server's error handler.
    const result = await runAdminOperation(options.db, operation, args, options.now())
    return reply.send({ result })
  })
}
