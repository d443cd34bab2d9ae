import { createHmac, randomBytes } from 'node:crypto'
import type { ClientSession, RouteRequestBody } from '@seamapi/types/connect'
import {
  deleteClientSession as deleteClientSessionRow,
  existingIds,
  findClientSession,
  findClientSessionByKey,
  findClientSessionByTokenHash,
  findServerSecret,
  findWorkspaceByPublishableKeyHash,
  insertClientSession,
  insertPublishableKey,
  listClientSessions as listClientSessionRows,
  listPublishableKeys,
  revokePublishableKey as revokePublishableKeyRow,
  updateClientSession,
} from '../db/client-sessions.js'
import { type ClientSessionRow, type Executor, json, type PublishableKeyRow } from '../db/schema.js'
import { findWorkspace } from '../db/workspaces.js'
import { toClientSession } from '../resources/client-session.js'
import { loadReach } from './client-session-scope.js'
import type { DomainContext, Principal, WorkspaceScope } from './context.js'
import { DomainError, invalidInput, notFound } from './errors.js'
import { newId, parseId } from './ids.js'
import { parseOptionalTime } from './time.js'
import { hashToken } from './workspaces.js'

/**
 * Client sessions and publishable keys, as Seam has them. A backend (API key or PAT)
 * creates a session granted user identities and connected accounts and hands its
 * `seam_cst…` token to a browser; or a browser holding the workspace's publishable key
 * (`seam_pk…`) gets or creates the session of its `user_identifier_key`, which the
 * backend then grants access with `/client_sessions/grant_access`. What a session
 * reaches is client-session-scope.ts's rule.
 */

/** How long a session lasts when `expires_at` is not given. */
export const defaultSessionLifetimeMs = 24 * 60 * 60 * 1000

const unauthorized = (message: string) => new DomainError('unauthorized', 'unauthorized', message)

export const generatePublishableKey = (): string =>
  `seam_pk1_${randomBytes(24).toString('base64url')}`

/**
 * A session's token: an HMAC of its id under the deployment's secret. It is never
 * stored (only its sha256, for the lookup), yet /client_sessions/get can show it.
 */
const sessionToken = (secret: string, clientSessionId: string): string =>
  `seam_cst1_${createHmac('sha256', secret).update(`client_session:${clientSessionId}`).digest('base64url')}`

const tokenSecret = async (db: Executor): Promise<string> => {
  const secret = await findServerSecret(db, 'client_session_token')
  if (!secret) throw new Error('server_secrets has no client_session_token (migration 0008)')
  return secret
}

const present = async (
  db: Executor,
  rows: readonly ClientSessionRow[],
): Promise<ClientSession[]> => {
  if (rows.length === 0) return []
  const secret = await tokenSecret(db)
  return rows.map((row) => toClientSession(row, sessionToken(secret, row.client_session_id)))
}

const presentOne = async (db: Executor, row: ClientSessionRow): Promise<ClientSession> => {
  const [session] = await present(db, [row])
  if (!session) throw new Error('present returned nothing')
  return session
}

// --- publishable keys (operator commands) ---

export const createPublishableKey = async (
  db: Executor,
  input: { workspaceId: string; name?: string | undefined; now: Date },
): Promise<{ publishable_key_id: string; publishable_key: string }> =>
  db.transaction().execute(async (tx) => {
    const workspaceId = parseId(input.workspaceId, 'The workspace id')
    if (!(await findWorkspace(tx, workspaceId))) {
      throw new DomainError('not_found', 'workspace_not_found', `No workspace ${workspaceId}`)
    }
    const key = generatePublishableKey()
    const publishable_key_id = newId()
    await insertPublishableKey(tx, {
      publishable_key_id,
      workspace_id: workspaceId,
      name: input.name?.trim() || 'Publishable key',
      key_hash: hashToken(key),
      created_at: input.now,
    })
    return { publishable_key_id, publishable_key: key }
  })

export const workspacePublishableKeys = async (
  db: Executor,
  workspaceId: string,
): Promise<Omit<PublishableKeyRow, 'key_hash'>[]> =>
  (await listPublishableKeys(db, parseId(workspaceId, 'The workspace id'))).map(
    ({ key_hash: _hash, ...row }) => row,
  )

export const revokePublishableKey = async (
  db: Executor,
  publishableKeyId: string,
  now: Date,
): Promise<{ publishable_key_id: string; revoked_at: Date }> => {
  const row = await revokePublishableKeyRow(db, parseId(publishableKeyId, 'The key id'), now)
  if (!row?.revoked_at) {
    throw new DomainError(
      'not_found',
      'publishable_key_not_found',
      `No publishable key ${publishableKeyId}`,
    )
  }
  return { publishable_key_id: row.publishable_key_id, revoked_at: row.revoked_at }
}

// --- authentication ---

export const authenticatePublishableKey = async (db: Executor, key: string): Promise<Principal> => {
  const found =
    key.startsWith('seam_pk') && key.length <= 512
      ? await findWorkspaceByPublishableKeyHash(db, hashToken(key))
      : undefined
  if (!found) throw unauthorized('The publishable key is not valid')
  return {
    kind: 'publishable_key',
    publishable_key_id: found.publishable_key_id,
    workspace: { workspace_id: found.workspace_id, is_sandbox: found.is_sandbox },
  }
}

/**
 * The principal a client session token is, with what it reaches. An unknown token,
 * a revoked session and an expired one are refused with 401 (as Seam answers an
 * invalid client session token), each saying which.
 */
export const authenticateClientSession = async (
  db: Executor,
  token: string,
  now: Date,
): Promise<Principal> => {
  const session =
    token.startsWith('seam_cst') && token.length <= 512
      ? await findClientSessionByTokenHash(db, hashToken(token))
      : undefined
  if (!session) throw unauthorized('The client session token is not valid')
  if (session.revoked_at) {
    throw unauthorized(`The client session was revoked at ${session.revoked_at.toISOString()}`)
  }
  if (session.expires_at <= now) {
    throw unauthorized(`The client session expired at ${session.expires_at.toISOString()}`)
  }
  const reach = await loadReach(db, session)
  return {
    kind: 'client_session',
    client_session_id: session.client_session_id,
    workspace: { workspace_id: session.workspace_id, is_sandbox: session.is_sandbox, reach },
  }
}

// --- the endpoints ---

interface Grants {
  user_identity_id?: string | undefined
  user_identity_ids?: string[] | undefined
  connected_account_ids?: string[] | undefined
  connect_webview_ids?: string[] | undefined
}

const requestedGrants = (input: Grants) => ({
  userIdentityIds: [
    ...(input.user_identity_id !== undefined ? [input.user_identity_id] : []),
    ...(input.user_identity_ids ?? []),
  ],
  connectedAccountIds: input.connected_account_ids ?? [],
  connectWebviewIds: input.connect_webview_ids ?? [],
})

const hasGrants = (input: Grants): boolean => {
  const g = requestedGrants(input)
  return g.userIdentityIds.length + g.connectedAccountIds.length + g.connectWebviewIds.length > 0
}

/** The grants asked for, checked to exist in the workspace (404 for the first that does not). */
const checkedGrants = async (db: Executor, scope: WorkspaceScope, input: Grants) => {
  const { userIdentityIds, connectedAccountIds, connectWebviewIds } = requestedGrants(input)
  const [webview] = connectWebviewIds
  // Keysmith has no Connect Webviews.
  if (webview !== undefined) throw notFound('connect_webview', webview)
  const identities = await existingIds(db, 'user_identities', scope.workspace_id, userIdentityIds)
  for (const id of userIdentityIds) {
    if (!identities.includes(id.toLowerCase())) throw notFound('user_identity', id)
  }
  const accounts = await existingIds(
    db,
    'connected_accounts',
    scope.workspace_id,
    connectedAccountIds,
  )
  for (const id of connectedAccountIds) {
    if (!accounts.includes(id.toLowerCase())) throw notFound('connected_account', id)
  }
  return { userIdentityIds: identities, connectedAccountIds: accounts }
}

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])]

const noCustomers = (input: { customer_id?: string; customer_key?: string }) => {
  if (input.customer_id !== undefined || input.customer_key !== undefined) {
    throw invalidInput(
      'Keysmith has no customers: create the client session without customer_id and customer_key',
      input.customer_key !== undefined ? 'customer_key' : 'customer_id',
    )
  }
}

const expiry = (ctx: DomainContext, value: string | Date | undefined): Date => {
  const now = ctx.now()
  const expiresAt =
    parseOptionalTime(value, 'expires_at') ?? new Date(now.getTime() + defaultSessionLifetimeMs)
  if (expiresAt <= now) throw invalidInput('expires_at must be in the future', 'expires_at')
  return expiresAt
}

/** A publishable key is public: its browser may name itself, never grant itself access. */
const assertMayGrant = (principal: Principal, input: Grants) => {
  if (principal.kind === 'publishable_key' && hasGrants(input)) {
    throw new DomainError(
      'forbidden',
      'forbidden',
      'A publishable key cannot grant a client session access; grant it from your backend with /client_sessions/grant_access',
    )
  }
}

const publishableKeyOf = (principal: Principal): string | null =>
  principal.kind === 'publishable_key' ? principal.publishable_key_id : null

const requireKeyForPublishable = (principal: Principal, key: string | undefined) => {
  if (principal.kind === 'publishable_key' && key === undefined) {
    throw invalidInput('A publishable key needs a user_identifier_key', 'user_identifier_key')
  }
}

const insertSession = async (
  db: Executor,
  ctx: DomainContext,
  principal: Principal,
  scope: WorkspaceScope,
  input: Grants & {
    user_identifier_key?: string | undefined
    expires_at?: string | Date | undefined
  },
): Promise<ClientSessionRow> => {
  const grants = await checkedGrants(db, scope, input)
  const id = newId()
  const secret = await tokenSecret(db)
  return insertClientSession(db, {
    client_session_id: id,
    workspace_id: scope.workspace_id,
    token_hash: hashToken(sessionToken(secret, id)),
    user_identifier_key: input.user_identifier_key ?? null,
    user_identity_ids: grants.userIdentityIds,
    connected_account_ids: grants.connectedAccountIds,
    publishable_key_id: publishableKeyOf(principal),
    created_at: ctx.now(),
    expires_at: expiry(ctx, input.expires_at),
  })
}

export const createClientSession = async (
  ctx: DomainContext,
  principal: Principal,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/client_sessions/create'>,
): Promise<ClientSession> => {
  noCustomers(input)
  assertMayGrant(principal, input)
  requireKeyForPublishable(principal, input.user_identifier_key)
  return ctx.db
    .transaction()
    .execute(async (db) => presentOne(db, await insertSession(db, ctx, principal, scope, input)))
}

/**
 * The newest live session of the `user_identifier_key` (its expiry moved to
 * `expires_at` if given, the grants asked for added), else a new one.
 */
export const getOrCreateClientSession = async (
  ctx: DomainContext,
  principal: Principal,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/client_sessions/get_or_create'>,
): Promise<ClientSession> => {
  assertMayGrant(principal, input)
  requireKeyForPublishable(principal, input.user_identifier_key)
  return ctx.db.transaction().execute(async (db) => {
    const existing =
      input.user_identifier_key === undefined
        ? undefined
        : await findClientSessionByKey(db, scope.workspace_id, input.user_identifier_key, {
            liveAt: ctx.now(),
            forUpdate: true,
          })
    if (!existing) return presentOne(db, await insertSession(db, ctx, principal, scope, input))
    const grants = await checkedGrants(db, scope, input)
    const updated = await updateClientSession(db, existing.client_session_id, {
      user_identity_ids: json(union(existing.user_identity_ids, grants.userIdentityIds)),
      connected_account_ids: json(
        union(existing.connected_account_ids, grants.connectedAccountIds),
      ),
      ...(input.expires_at !== undefined ? { expires_at: expiry(ctx, input.expires_at) } : {}),
    })
    return presentOne(db, updated ?? existing)
  })
}

export const getClientSession = async (
  ctx: DomainContext,
  principal: Principal,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/client_sessions/get'>,
): Promise<ClientSession> => {
  let row: ClientSessionRow | undefined
  if (principal.kind === 'client_session') {
    // A session sees itself only: any other id or key is not found.
    const own = await findClientSession(ctx.db, scope.workspace_id, principal.client_session_id)
    const idMatches =
      input.client_session_id === undefined ||
      input.client_session_id.toLowerCase() === principal.client_session_id
    const keyMatches =
      input.user_identifier_key === undefined ||
      input.user_identifier_key === own?.user_identifier_key
    row = idMatches && keyMatches ? own : undefined
  } else if (input.client_session_id !== undefined) {
    row = await findClientSession(ctx.db, scope.workspace_id, input.client_session_id)
  } else if (input.user_identifier_key !== undefined) {
    row = await findClientSessionByKey(ctx.db, scope.workspace_id, input.user_identifier_key)
  } else {
    throw invalidInput('Provide client_session_id or user_identifier_key', 'client_session_id')
  }
  if (!row) throw notFound('client_session', input.client_session_id)
  return presentOne(ctx.db, row)
}

export const listClientSessionsOf = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/client_sessions/list'>,
): Promise<ClientSession[]> => {
  // Keysmith has no Connect Webviews: no session belongs to one.
  if (input.connect_webview_id !== undefined) return []
  return present(
    ctx.db,
    await listClientSessionRows(ctx.db, scope.workspace_id, {
      client_session_id: input.client_session_id,
      user_identifier_key: input.user_identifier_key,
      user_identity_id: input.user_identity_id,
      without_user_identifier_key: input.without_user_identifier_key,
    }),
  )
}

export const grantClientSessionAccess = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  input: RouteRequestBody<'/client_sessions/grant_access'>,
): Promise<ClientSession> =>
  ctx.db.transaction().execute(async (db) => {
    let session: ClientSessionRow | undefined
    if (input.client_session_id !== undefined) {
      session = await findClientSession(db, scope.workspace_id, input.client_session_id, {
        forUpdate: true,
      })
    } else if (input.user_identifier_key !== undefined) {
      session = await findClientSessionByKey(db, scope.workspace_id, input.user_identifier_key, {
        forUpdate: true,
      })
    } else {
      throw invalidInput('Provide client_session_id or user_identifier_key', 'client_session_id')
    }
    if (!session) throw notFound('client_session', input.client_session_id)
    const grants = await checkedGrants(db, scope, input)
    const updated = await updateClientSession(db, session.client_session_id, {
      user_identity_ids: json(union(session.user_identity_ids, grants.userIdentityIds)),
      connected_account_ids: json(union(session.connected_account_ids, grants.connectedAccountIds)),
    })
    return presentOne(db, updated ?? session)
  })

/** Revoked, a session's token is refused on its next request; the session stays listed. */
export const revokeClientSession = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  clientSessionId: string,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const session = await findClientSession(db, scope.workspace_id, clientSessionId, {
      forUpdate: true,
    })
    if (!session) throw notFound('client_session', clientSessionId)
    if (!session.revoked_at) {
      await updateClientSession(db, session.client_session_id, { revoked_at: ctx.now() })
    }
  })

export const deleteClientSession = async (
  ctx: DomainContext,
  scope: WorkspaceScope,
  clientSessionId: string,
): Promise<void> =>
  ctx.db.transaction().execute(async (db) => {
    const session = await findClientSession(db, scope.workspace_id, clientSessionId, {
      forUpdate: true,
    })
    if (!session) throw notFound('client_session', clientSessionId)
    await deleteClientSessionRow(db, session.client_session_id)
  })
