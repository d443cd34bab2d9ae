import type { SeamHttp } from '@seamapi/http/connect'
import { frontDesk, hotel, room101 } from './sandbox.js'

/**
 * One of each kind of object a sandbox workspace can hold, made through the API: a
 * user with a card credential (and the attempt encoding it), a user identity, a space
 * and an Access Grant with a card, and the newest event. Sweeps and fuzzes that call
 * every endpoint with ids that exist start from these.
 */
export const createSampleObjects = async (seam: SeamHttp, label: string) => {
  const stay = { starts_at: '2026-04-01T15:00:00.000Z', ends_at: '2026-04-03T11:00:00.000Z' }
  const user = await seam.acs.users.create({ acs_system_id: hotel, full_name: label })
  const credential = await seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [room101],
    ...stay,
  })
  const attempt = await seam.acs.encoders.encodeCredential({
    acs_encoder_id: frontDesk,
    acs_credential_id: credential.acs_credential_id,
  })
  const identity = await seam.userIdentities.create({ full_name: `${label} Identity` })
  const space = await seam.spaces.create({ name: `${label} Space`, acs_entrance_ids: [room101] })
  const grant = await seam.accessGrants.create({
    user_identity_id: identity.user_identity_id,
    acs_entrance_ids: [room101],
    requested_access_methods: [{ mode: 'card' }],
    ...stay,
  })
  const [event] = await seam.events.list({ since: '2020-01-01T00:00:00.000Z', limit: 1 })
  return { user, credential, attempt, identity, space, grant, event }
}
