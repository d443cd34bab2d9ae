import { getEvent, listEventsOf } from '../domain/events.js'
import { route } from '../http/route.js'

export const eventRoutes = [
  route('/events/get', async ({ ctx, scope, input }) => ({
    event: await getEvent(ctx, scope, input),
  })),

  route('/events/list', async ({ ctx, scope, input }) => ({
    events: await listEventsOf(ctx, scope, input),
  })),
]
