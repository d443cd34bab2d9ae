import {
  createWorkspaceFor,
  getWorkspace,
  listWorkspacesFor,
  requestSandboxReset,
  updateWorkspace,
} from '../domain/workspaces.js'
import { accountRoute, route } from '../http/route.js'

export const workspaceRoutes = [
  accountRoute('/workspaces/create', async ({ ctx, principal, input }) => ({
    workspace: await createWorkspaceFor(ctx, principal, input),
  })),

  accountRoute('/workspaces/list', async ({ ctx, principal }) => ({
    workspaces: await listWorkspacesFor(ctx, principal),
  })),

  route('/workspaces/get', async ({ ctx, scope }) => ({
    workspace: await getWorkspace(ctx, scope),
  })),

  route('/workspaces/update', async ({ ctx, scope, input }) => {
    await updateWorkspace(ctx, scope, input)
    return {}
  }),

  route('/workspaces/reset_sandbox', async ({ ctx, scope }) => ({
    action_attempt: await requestSandboxReset(ctx, scope),
  })),
]
