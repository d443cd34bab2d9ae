import {
  addAcsUserToIdentity,
  createUserIdentity,
  deleteUserIdentityAndAccess,
  getUserIdentity,
  listIdentityAcsSystems,
  listIdentityAcsUsers,
  listIdentityEntrances,
  listUserIdentitiesPage,
  removeAcsUserFromIdentity,
  updateUserIdentityProfile,
} from '../domain/user-identities.js'
import { route } from '../http/route.js'
import { toPagination } from '../resources/pagination.js'

export const userIdentityRoutes = [
  route('/user_identities/create', async ({ ctx, scope, input }) => ({
    user_identity: await createUserIdentity(ctx, scope, input),
  })),

  route('/user_identities/get', async ({ ctx, scope, input }) => ({
    user_identity: await getUserIdentity(ctx, scope, input),
  })),

  route('/user_identities/list', async ({ ctx, scope, input, url }) => {
    const page = await listUserIdentitiesPage(ctx, scope, input)
    return {
      user_identities: page.items,
      pagination: toPagination(page.nextPageCursor, url, input),
    }
  }),

  route('/user_identities/update', async ({ ctx, scope, input }) => {
    await updateUserIdentityProfile(ctx, scope, input)
    return {}
  }),

  route('/user_identities/delete', async ({ ctx, scope, input }) => {
    await deleteUserIdentityAndAccess(ctx, scope, input.user_identity_id)
    return {}
  }),

  route('/user_identities/add_acs_user', async ({ ctx, scope, input }) => {
    await addAcsUserToIdentity(ctx, scope, input)
    return {}
  }),

  route('/user_identities/remove_acs_user', async ({ ctx, scope, input }) => {
    await removeAcsUserFromIdentity(ctx, scope, input)
    return {}
  }),

  route('/user_identities/list_acs_users', async ({ ctx, scope, input }) => ({
    acs_users: await listIdentityAcsUsers(ctx, scope, input.user_identity_id),
  })),

  route('/user_identities/list_acs_systems', async ({ ctx, scope, input }) => ({
    acs_systems: await listIdentityAcsSystems(ctx, scope, input.user_identity_id),
  })),

  route('/user_identities/list_accessible_entrances', async ({ ctx, scope, input }) => ({
    acs_entrances: await listIdentityEntrances(ctx, scope, input.user_identity_id),
  })),
]
