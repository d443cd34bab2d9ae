import { getAcsSystem, listAcsSystemsOf } from '../../domain/acs-systems.js'
import { route } from '../../http/route.js'

export const acsSystemRoutes = [
  route('/acs/systems/get', async ({ ctx, scope, input }) => ({
    acs_system: await getAcsSystem(ctx, scope, input.acs_system_id),
  })),

  route('/acs/systems/list', async ({ ctx, scope, input }) => ({
    acs_systems: await listAcsSystemsOf(ctx, scope, input),
  })),
]
