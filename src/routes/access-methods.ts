import {
  deleteAccessMethodsBy,
  getAccessMethod,
  listAccessMethodsOf,
} from '../domain/access-methods.js'
import { requestCardAssignment } from '../domain/card-assignment.js'
import { requestAccessMethodEncoding } from '../domain/encoders.js'
import { route } from '../http/route.js'

export const accessMethodRoutes = [
  route('/access_methods/get', async ({ ctx, scope, input }) => ({
    access_method: await getAccessMethod(ctx, scope, input.access_method_id),
  })),

  route('/access_methods/list', async ({ ctx, scope, input }) => ({
    access_methods: await listAccessMethodsOf(ctx, scope, input),
  })),

  route('/access_methods/delete', async ({ ctx, scope, input }) => {
    await deleteAccessMethodsBy(ctx, scope, input)
    return {}
  }),

  route('/access_methods/assign_card', async ({ ctx, scope, input }) => ({
    action_attempt: await requestCardAssignment(ctx, scope, input),
  })),

  route('/access_methods/encode', async ({ ctx, scope, input }) => ({
    action_attempt: await requestAccessMethodEncoding(ctx, scope, input),
  })),
]
