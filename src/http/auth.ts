import type { FastifyRequest } from 'fastify'
import { authenticateClientSession, authenticatePublishableKey } from '../domain/client-sessions.js'
import type { DomainContext, Principal } from '../domain/context.js'
import { DomainError } from '../domain/errors.js'
import { authenticatePersonalAccessToken } from '../domain/users.js'
import { authenticateApiKey } from '../domain/workspaces.js'
import { type CredentialKind, describeKind, describeKinds, type SecurityTable } from './security.js'

declare module 'fastify' {
  interface FastifyRequest {
    workspaceId?: string
    /** The error a request was answered with, for its log line. */
    failure?: { type: string; message: string }
  }
}

const unauthorized = (message: string) => new DomainError('unauthorized', 'unauthorized', message)

/** The credential a request carries, read from the headers the official SDK sends. */
export type PresentedCredential =
  | { kind: 'api_key'; token: string; workspaceId: string | undefined }
  | { kind: 'pat_with_workspace'; token: string; workspaceId: string }
  | { kind: 'pat_without_workspace'; token: string }
  | { kind: 'client_session'; token: string }
  | { kind: 'publishable_key'; key: string }
  | { kind: 'console_session' }

type Headers = FastifyRequest['headers']

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name]
  const first = Array.isArray(value) ? value[0] : value
  return first === undefined || first.trim() === '' ? undefined : first.trim()
}

/**
 * Tells which kind of credential a request carries, without looking anything up:
 * `seam-publishable-key` (publishable key), `client-session-token` /
 * `seam-client-session-token` or a `seam_cst…` bearer (client session), a `seam_at…`
 * bearer (personal access token, with or without `seam-workspace`), a JWT (Seam
 * Console session), any other `seam_…` bearer (API key).
 */
export const identifyCredential = (headers: Headers): PresentedCredential => {
  const publishableKey = header(headers, 'seam-publishable-key')
  if (publishableKey) return { kind: 'publishable_key', key: publishableKey }
  const sessionToken =
    header(headers, 'client-session-token') ?? header(headers, 'seam-client-session-token')
  const authorization = header(headers, 'authorization')
  if (sessionToken) {
    // The SDK sends the token twice (here and as the bearer): they must agree.
    const bearer = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined
    if (bearer !== undefined && bearer !== sessionToken) {
      throw unauthorized('The client-session-token header and the Authorization bearer differ')
    }
    return { kind: 'client_session', token: sessionToken }
  }
  if (!authorization) {
    throw unauthorized('Missing Authorization header; send "Authorization: Bearer <API key>"')
  }
  const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1]
  if (!token) throw unauthorized('The Authorization header must be "Bearer <token>"')
  const workspaceId = header(headers, 'seam-workspace')
  if (token.startsWith('seam_cst')) return { kind: 'client_session', token }
  if (token.startsWith('seam_pk')) return { kind: 'publishable_key', key: token }
  if (token.startsWith('seam_at')) {
    return workspaceId === undefined
      ? { kind: 'pat_without_workspace', token }
      : { kind: 'pat_with_workspace', token, workspaceId }
  }
  if (token.startsWith('ey')) return { kind: 'console_session' }
  if (token.startsWith('seam_')) return { kind: 'api_key', token, workspaceId }
  throw unauthorized('The token is not a Seam credential: API keys start with "seam_"')
}

/** Why a credential the endpoint does not accept is refused, in words that help. */
const refusal = (
  kind: CredentialKind,
  method: string,
  path: string,
  accepted: ReadonlySet<CredentialKind>,
): string => {
  if (kind === 'pat_with_workspace' && accepted.has('pat_without_workspace')) {
    return `${path} takes a personal access token without the seam-workspace header (SeamHttpWithoutWorkspace.fromPersonalAccessToken)`
  }
  if (kind === 'client_session' && accepted.has('customer_client_session')) {
    return `${method} ${path} accepts only client sessions made for a customer (customer_key), which Keysmith does not make; call it with an API key or a personal access token`
  }
  if (kind === 'pat_without_workspace' && accepted.has('pat_with_workspace')) {
    return `${path} needs the seam-workspace header naming the workspace to act in (SeamHttp.fromPersonalAccessToken(token, workspaceId))`
  }
  return `${method} ${path} does not accept ${describeKind(kind)}; it accepts ${describeKinds(accepted)}`
}

/** Kinds the document lists that this Keysmith cannot check: refused, clearly. */
const notServed: Partial<Record<CredentialKind, string>> = {
  console_session:
    'Seam Console sessions do not exist on Keysmith; use an API key or a personal access token',
}

/**
 * Authenticates a request to `method path`: the credential must be of a kind the
 * operation's `security` accepts (see SecurityTable) and must be valid now. Nothing
 * is cached, so a revoked key or token is refused on its next request in every process.
 */
export const authenticate = async (
  ctx: DomainContext,
  table: SecurityTable,
  request: FastifyRequest,
  path: string,
): Promise<Principal> => {
  const method = request.method.toLowerCase()
  const accepted = table.accepted(method, path) ?? new Set<CredentialKind>()
  const credential = identifyCredential(request.headers)
  if (!accepted.has(credential.kind)) {
    throw unauthorized(refusal(credential.kind, request.method, path, accepted))
  }
  const principal = await verify(ctx, credential)
  request.workspaceId = principal.workspace?.workspace_id
  return principal
}

const verify = async (ctx: DomainContext, credential: PresentedCredential): Promise<Principal> => {
  switch (credential.kind) {
    case 'api_key': {
      const workspace = await authenticateApiKey(ctx.db, credential.token, ctx.authCache)
      if (!workspace) throw unauthorized('The API key is not valid')
      if (
        credential.workspaceId !== undefined &&
        credential.workspaceId.toLowerCase() !== workspace.workspace_id
      ) {
        throw unauthorized(
          'The API key belongs to another workspace than the seam-workspace header names',
        )
      }
      return {
        kind: 'api_key',
        api_key_id: workspace.api_key_id,
        workspace: { workspace_id: workspace.workspace_id, is_sandbox: workspace.is_sandbox },
      }
    }
    case 'pat_with_workspace':
      return authenticatePersonalAccessToken(ctx.db, credential.token, credential.workspaceId)
    case 'pat_without_workspace':
      return authenticatePersonalAccessToken(ctx.db, credential.token, undefined)
    case 'publishable_key':
      return authenticatePublishableKey(ctx.db, credential.key)
    case 'client_session':
      return authenticateClientSession(ctx.db, credential.token, ctx.now())
    default:
      throw unauthorized(notServed[credential.kind] ?? 'This credential is not supported')
  }
}
