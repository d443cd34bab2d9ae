import { getWorkspace, requestSandboxReset } from '../domain/workspaces.js'
import { route } from '../http/route.js'

export const workspaceRoutes = [
  route('/workspaces/get', async ({ ctx, scope }) => ({
    workspace: await getWorkspace(ctx, scope),
  })),

  route('/workspaces/reset_sandbox', async ({ ctx, scope }) => ({
    action_attempt: await requestSandboxReset(ctx, scope),
  })),
]
