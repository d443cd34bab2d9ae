import type { FastifyRequest } from 'fastify'
import type { DomainContext, WorkspaceScope } from '../domain/context.js'
import { DomainError } from '../domain/errors.js'
import { authenticateApiKey, hashToken } from '../domain/workspaces.js'

declare module 'fastify' {
  interface FastifyRequest {
    workspaceId?: string
  }
}

const unauthorized = (message: string) => new DomainError('unauthorized', 'unauthorized', message)

/**
 * Remembers which workspace an API key opens for a few seconds, so that a busy
 * client does not cost a database lookup per request. Keys are never revoked
 * through the API, and the short life keeps several processes in agreement.
 */
export class ApiKeyCache {
  readonly #entries = new Map<string, { scope: WorkspaceScope; expires: number }>()

  constructor(
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** `key` is the token's hash: tokens themselves are not kept. */
  get(key: string, now: number): WorkspaceScope | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expires > now) return entry.scope
    this.#entries.delete(key)
    return undefined
  }

  set(key: string, scope: WorkspaceScope, now: number): void {
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(key, { scope, expires: now + this.ttlMs })
  }
}

/** Reads `Authorization: Bearer <API key>` and finds the workspace it opens. */
export const authenticate = async (
  ctx: DomainContext,
  cache: ApiKeyCache,
  request: FastifyRequest,
): Promise<WorkspaceScope> => {
  const header = request.headers.authorization
  if (!header) {
    throw unauthorized('Missing Authorization header; send "Authorization: Bearer <API key>"')
  }
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
  if (!token) throw unauthorized('The Authorization header must be "Bearer <API key>"')
  const now = Date.now()
  const key = hashToken(token)
  let scope = cache.get(key, now)
  if (!scope) {
    const workspace = await authenticateApiKey(ctx.db, token)
    if (!workspace) throw unauthorized('The API key is not valid')
    scope = { workspace_id: workspace.workspace_id, is_sandbox: workspace.is_sandbox }
    cache.set(key, scope, now)
  }
  request.workspaceId = scope.workspace_id
  return scope
}
