import {
  addUserToAccessGroup,
  deleteAccessGroupOf,
  getAccessGroup,
  listAccessGroupEntrances,
  listAccessGroupsOf,
  listAccessGroupUsers,
  removeUserFromAccessGroup,
} from '../../domain/access-groups.js'
import { route } from '../../http/route.js'

/** /acs/access_groups/* and the two /acs/users/* endpoints that change membership. */
export const acsAccessGroupRoutes = [
  route('/acs/access_groups/get', async ({ ctx, scope, input }) => ({
    acs_access_group: await getAccessGroup(ctx, scope, input.acs_access_group_id),
  })),

  route('/acs/access_groups/list', async ({ ctx, scope, input }) => ({
    acs_access_groups: await listAccessGroupsOf(ctx, scope, input),
  })),

  route('/acs/access_groups/list_users', async ({ ctx, scope, input }) => ({
    acs_users: await listAccessGroupUsers(ctx, scope, input.acs_access_group_id),
  })),

  route('/acs/access_groups/list_accessible_entrances', async ({ ctx, scope, input }) => ({
    acs_entrances: await listAccessGroupEntrances(ctx, scope, input.acs_access_group_id),
  })),

  route('/acs/access_groups/add_user', async ({ ctx, scope, input }) => {
    await addUserToAccessGroup(ctx, scope, input)
    return {}
  }),

  route('/acs/access_groups/remove_user', async ({ ctx, scope, input }) => {
    await removeUserFromAccessGroup(ctx, scope, input)
    return {}
  }),

  route('/acs/access_groups/delete', async ({ ctx, scope, input }) => {
    await deleteAccessGroupOf(ctx, scope, input.acs_access_group_id)
    return {}
  }),

  route('/acs/users/add_to_access_group', async ({ ctx, scope, input }) => {
    await addUserToAccessGroup(ctx, scope, input)
    return {}
  }),

  route('/acs/users/remove_from_access_group', async ({ ctx, scope, input }) => {
    await removeUserFromAccessGroup(ctx, scope, input)
    return {}
  }),
]
