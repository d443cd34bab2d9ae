import {
  createAcsCredential,
  deleteAcsCredential,
  getAcsCredential,
  listAcsCredentialsPage,
  listCredentialEntrances,
  updateAcsCredentialSchedule,
} from '../../domain/acs-credentials.js'
import { assignCredential, unassignCredential } from '../../domain/credential-assignment.js'
import { route } from '../../http/route.js'
import { toPagination } from '../../resources/pagination.js'

export const acsCredentialRoutes = [
  route('/acs/credentials/create', async ({ ctx, scope, input }) => ({
    acs_credential: await createAcsCredential(ctx, scope, input),
  })),

  route('/acs/credentials/get', async ({ ctx, scope, input }) => ({
    acs_credential: await getAcsCredential(ctx, scope, input.acs_credential_id),
  })),

  route('/acs/credentials/list', async ({ ctx, scope, input, url }) => {
    const page = await listAcsCredentialsPage(ctx, scope, input)
    return {
      acs_credentials: page.items,
      pagination: toPagination(page.nextPageCursor, url, input),
    }
  }),

  route('/acs/credentials/update', async ({ ctx, scope, input }) => ({
    acs_credential: await updateAcsCredentialSchedule(ctx, scope, input),
  })),

  route('/acs/credentials/delete', async ({ ctx, scope, input }) => {
    await deleteAcsCredential(ctx, scope, input.acs_credential_id)
    return {}
  }),

  route('/acs/credentials/list_accessible_entrances', async ({ ctx, scope, input }) => ({
    acs_entrances: await listCredentialEntrances(ctx, scope, input.acs_credential_id),
  })),

  route('/acs/credentials/assign', async ({ ctx, scope, input }) => ({
    acs_credential: await assignCredential(ctx, scope, input),
  })),

  route('/acs/credentials/unassign', async ({ ctx, scope, input }) => ({
    acs_credential: await unassignCredential(ctx, scope, input),
  })),
]
