import { requestScanToAssign } from '../../domain/card-assignment.js'
import {
  getAcsEncoder,
  listAcsEncodersPage,
  requestEncoding,
  requestScan,
} from '../../domain/encoders.js'
import {
  simulateNextEncodeFailure,
  simulateNextEncodeSuccess,
  simulateNextScanFailure,
  simulateNextScanSuccess,
} from '../../domain/sandbox-simulations.js'
import { route } from '../../http/route.js'
import { toPagination } from '../../resources/pagination.js'

/**
 * Encoders, encoding and scanning; the rules live in domain/encoders.ts and
 * domain/encoding.ts, the sandbox's simulate endpoints in domain/sandbox-simulations.ts.
 */
export const acsEncoderRoutes = [
  route('/acs/encoders/get', async ({ ctx, scope, input }) => ({
    acs_encoder: await getAcsEncoder(ctx, scope, input.acs_encoder_id),
  })),

  route('/acs/encoders/list', async ({ ctx, scope, input, url }) => {
    const page = await listAcsEncodersPage(ctx, scope, input)
    return { acs_encoders: page.items, pagination: toPagination(page.nextPageCursor, url, input) }
  }),

  route('/acs/encoders/encode_credential', async ({ ctx, scope, input }) => ({
    action_attempt: await requestEncoding(ctx, scope, input),
  })),

  route('/acs/encoders/scan_credential', async ({ ctx, scope, input }) => ({
    action_attempt: await requestScan(ctx, scope, input),
  })),

  route('/acs/encoders/scan_to_assign_credential', async ({ ctx, scope, input }) => ({
    action_attempt: await requestScanToAssign(ctx, scope, input),
  })),

  route(
    '/acs/encoders/simulate/next_credential_encode_will_fail',
    async ({ ctx, scope, input }) => {
      await simulateNextEncodeFailure(ctx, scope, input)
      return {}
    },
  ),

  route(
    '/acs/encoders/simulate/next_credential_encode_will_succeed',
    async ({ ctx, scope, input }) => {
      await simulateNextEncodeSuccess(ctx, scope, input)
      return {}
    },
  ),

  route('/acs/encoders/simulate/next_credential_scan_will_fail', async ({ ctx, scope, input }) => {
    await simulateNextScanFailure(ctx, scope, input)
    return {}
  }),

  route(
    '/acs/encoders/simulate/next_credential_scan_will_succeed',
    async ({ ctx, scope, input }) => {
      await simulateNextScanSuccess(ctx, scope, input)
      return {}
    },
  ),
]
