import {
  createClientSession,
  deleteClientSession,
  getClientSession,
  getOrCreateClientSession,
  grantClientSessionAccess,
  listClientSessionsOf,
  revokeClientSession,
} from '../domain/client-sessions.js'
import { route } from '../http/route.js'

export const clientSessionRoutes = [
  route('/client_sessions/create', async ({ ctx, principal, scope, input }) => ({
    client_session: await createClientSession(ctx, principal, scope, input),
  })),

  route('/client_sessions/get_or_create', async ({ ctx, principal, scope, input }) => ({
    client_session: await getOrCreateClientSession(ctx, principal, scope, input),
  })),

  route('/client_sessions/get', async ({ ctx, principal, scope, input }) => ({
    client_session: await getClientSession(ctx, principal, scope, input),
  })),

  route('/client_sessions/list', async ({ ctx, scope, input }) => ({
    client_sessions: await listClientSessionsOf(ctx, scope, input),
  })),

  route('/client_sessions/grant_access', async ({ ctx, scope, input }) => ({
    client_session: await grantClientSessionAccess(ctx, scope, input),
  })),

  route('/client_sessions/revoke', async ({ ctx, scope, input }) => {
    await revokeClientSession(ctx, scope, input.client_session_id)
    return {}
  }),

  route('/client_sessions/delete', async ({ ctx, scope, input }) => {
    await deleteClientSession(ctx, scope, input.client_session_id)
    return {}
  }),
]
