import {
  getAcsEntrance,
  listAcsEntrancesPage,
  listCredentialsWithAccess,
} from '../../domain/acs-systems.js'
import { grantEntranceAccess } from '../../domain/entrance-access.js'
import { route } from '../../http/route.js'
import { toPagination } from '../../resources/pagination.js'

export const acsEntranceRoutes = [
  route('/acs/entrances/get', async ({ ctx, scope, input }) => ({
    acs_entrance: await getAcsEntrance(ctx, scope, input.acs_entrance_id),
  })),

  route('/acs/entrances/list', async ({ ctx, scope, input, url }) => {
    const page = await listAcsEntrancesPage(ctx, scope, input)
    return {
      acs_entrances: page.items,
      pagination: toPagination(page.nextPageCursor, url, input),
    }
  }),

  route('/acs/entrances/grant_access', async ({ ctx, scope, input }) => {
    await grantEntranceAccess(ctx, scope, input)
    return {}
  }),

  route('/acs/entrances/list_credentials_with_access', async ({ ctx, scope, input }) => ({
    acs_credentials: await listCredentialsWithAccess(ctx, scope, input),
  })),
]
