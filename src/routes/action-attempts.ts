import { getActionAttempt, listActionAttemptsPage } from '../domain/action-attempts.js'
import { route } from '../http/route.js'
import { toPagination } from '../resources/pagination.js'

export const actionAttemptRoutes = [
  route('/action_attempts/get', async ({ ctx, scope, input }) => ({
    action_attempt: await getActionAttempt(ctx, scope, input.action_attempt_id),
  })),

  route('/action_attempts/list', async ({ ctx, scope, input, url }) => {
    const page = await listActionAttemptsPage(ctx, scope, input)
    return {
      action_attempts: page.items,
      pagination: toPagination(page.nextPageCursor, url, input),
    }
  }),
]
