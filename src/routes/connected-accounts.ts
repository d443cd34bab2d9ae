import {
  getConnectedAccount,
  listConnectedAccountsPage,
  updateConnectedAccountSettings,
} from '../domain/connected-accounts.js'
import { route } from '../http/route.js'
import { toPagination } from '../resources/pagination.js'

export const connectedAccountRoutes = [
  route('/connected_accounts/get', async ({ ctx, scope, input }) => ({
    connected_account: await getConnectedAccount(ctx, scope, input),
  })),

  route('/connected_accounts/list', async ({ ctx, scope, input, url }) => {
    const page = await listConnectedAccountsPage(ctx, scope, input)
    return {
      connected_accounts: page.items,
      pagination: toPagination(page.nextPageCursor, url, input),
    }
  }),

  route('/connected_accounts/update', async ({ ctx, scope, input }) => ({
    connected_account: await updateConnectedAccountSettings(ctx, scope, input),
  })),
]
