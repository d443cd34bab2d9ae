import {
  listUserAccessibleEntrances,
  revokeUserAccessToAllEntrances,
} from '../../domain/access-groups.js'
import {
  createAcsUser,
  deleteAcsUserAndCredentials,
  getAcsUser,
  listAcsUsersPage,
  setAcsUserSuspended,
  updateAcsUserProfile,
} from '../../domain/acs-users.js'
import { route } from '../../http/route.js'
import { toPagination } from '../../resources/pagination.js'

export const acsUserRoutes = [
  route('/acs/users/create', async ({ ctx, scope, input }) => ({
    acs_user: await createAcsUser(ctx, scope, input),
  })),

  route('/acs/users/get', async ({ ctx, scope, input }) => ({
    acs_user: await getAcsUser(ctx, scope, input),
  })),

  route('/acs/users/list', async ({ ctx, scope, input, url }) => {
    const page = await listAcsUsersPage(ctx, scope, input)
    return { acs_users: page.items, pagination: toPagination(page.nextPageCursor, url, input) }
  }),

  route('/acs/users/update', async ({ ctx, scope, input }) => {
    await updateAcsUserProfile(ctx, scope, input)
    return {}
  }),

  route('/acs/users/delete', async ({ ctx, scope, input }) => {
    await deleteAcsUserAndCredentials(ctx, scope, input)
    return {}
  }),

  route('/acs/users/suspend', async ({ ctx, scope, input }) => {
    await setAcsUserSuspended(ctx, scope, input, true)
    return {}
  }),

  route('/acs/users/unsuspend', async ({ ctx, scope, input }) => {
    await setAcsUserSuspended(ctx, scope, input, false)
    return {}
  }),

  route('/acs/users/list_accessible_entrances', async ({ ctx, scope, input }) => ({
    acs_entrances: await listUserAccessibleEntrances(ctx, scope, input),
  })),

  route('/acs/users/revoke_access_to_all_entrances', async ({ ctx, scope, input }) => {
    await revokeUserAccessToAllEntrances(ctx, scope, input)
    return {}
  }),
]
