import {
  createAccessGrant,
  deleteAccessGrantById,
  getAccessGrant,
  listAccessGrantsPage,
  requestMoreAccessMethods,
  updateAccessGrantTimes,
} from '../domain/access-grants.js'
import { route } from '../http/route.js'
import { toPagination } from '../resources/pagination.js'

/** Access Grants; the rule that turns them into credentials is in domain/access-grant-sync.ts. */
export const accessGrantRoutes = [
  route('/access_grants/create', async ({ ctx, scope, input }) => ({
    access_grant: await createAccessGrant(ctx, scope, input),
  })),

  route('/access_grants/get', async ({ ctx, scope, input }) => ({
    access_grant: await getAccessGrant(ctx, scope, input),
  })),

  route('/access_grants/list', async ({ ctx, scope, input, url }) => {
    const page = await listAccessGrantsPage(ctx, scope, input)
    return { access_grants: page.items, pagination: toPagination(page.nextPageCursor, url, input) }
  }),

  route('/access_grants/update', async ({ ctx, scope, input }) => {
    await updateAccessGrantTimes(ctx, scope, input)
    return {}
  }),

  route('/access_grants/delete', async ({ ctx, scope, input }) => {
    await deleteAccessGrantById(ctx, scope, input.access_grant_id)
    return {}
  }),

  route('/access_grants/request_access_methods', async ({ ctx, scope, input }) => ({
    access_grant: await requestMoreAccessMethods(ctx, scope, input),
  })),
]
