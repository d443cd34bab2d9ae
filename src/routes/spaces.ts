import {
  changeSpaceEntrances,
  createSpace,
  deleteSpaceById,
  getSpace,
  listSpacesPage,
  updateSpaceDetails,
} from '../domain/spaces.js'
import { route } from '../http/route.js'
import { toPagination } from '../resources/pagination.js'

export const spaceRoutes = [
  route('/spaces/create', async ({ ctx, scope, input }) => ({
    space: await createSpace(ctx, scope, input),
  })),

  route('/spaces/get', async ({ ctx, scope, input }) => ({
    space: await getSpace(ctx, scope, input),
  })),

  route('/spaces/list', async ({ ctx, scope, input, url }) => {
    const page = await listSpacesPage(ctx, scope, input)
    return { spaces: page.items, pagination: toPagination(page.nextPageCursor, url, input) }
  }),

  route('/spaces/update', async ({ ctx, scope, input }) => ({
    space: await updateSpaceDetails(ctx, scope, input),
  })),

  route('/spaces/delete', async ({ ctx, scope, input }) => {
    await deleteSpaceById(ctx, scope, input.space_id)
    return {}
  }),

  route('/spaces/add_acs_entrances', async ({ ctx, scope, input }) => {
    await changeSpaceEntrances(ctx, scope, input, 'add')
    return {}
  }),

  route('/spaces/remove_acs_entrances', async ({ ctx, scope, input }) => {
    await changeSpaceEntrances(ctx, scope, input, 'remove')
    return {}
  }),
]
