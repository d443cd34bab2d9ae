import {
  type AccessGrant,
  type AccessMethod,
  type AcsEncoder,
  type AcsEntrance,
  type ActionAttempt,
  call,
  type UserIdentity,
} from '../api.js'
import { followAttempt } from '../attempt.js'
import { encoderSelect, listEncoders, pageHeading } from '../common.js'
import {
  button,
  field,
  form,
  h,
  isoFromLocal,
  localFromIso,
  show,
  showError,
  showStatus,
  statusLine,
  when,
} from '../dom.js'

/**
 * Guests: find or create a user identity, give them an Access Grant to rooms for a
 * stay with a card, encode the card on an encoder (following the action attempt)
 * and encode it again after the stay changes.
 */

interface Context {
  encoders: AcsEncoder[]
  entrances: AcsEntrance[]
  detail: HTMLElement
}

const guestName = (guest: UserIdentity): string =>
  guest.full_name ?? guest.email_address ?? guest.user_identity_id

/** Tomorrow at `hour`:00 plus `days`, in the browser's zone, for the stay's defaults. */
const dayAt = (days: number, hour: number): string => {
  const date = new Date()
  date.setDate(date.getDate() + days)
  date.setHours(hour, 0, 0, 0)
  return localFromIso(date.toISOString())
}

const cardState = (method: AccessMethod): string => {
  if (!method.is_issued) return 'Not encoded yet'
  if (method.is_encoding_required) return 'Needs encoding again (the stay or rooms changed)'
  return `Encoded ${when(method.issued_at)}`
}

const renderMethod = (method: AccessMethod, ctx: Context) => {
  const select = encoderSelect(ctx.encoders)
  const line = statusLine({ 'data-role': 'encode-status' })
  const state = h('span', { 'data-role': 'card-state' }, cardState(method))
  const submit = h('button', { type: 'submit' }, method.is_issued ? 'Encode again' : 'Encode card')
  return h(
    'div',
    { class: 'method', 'data-access-method': method.access_method_id },
    h('p', {}, h('strong', {}, `${method.mode === 'card' ? 'Card' : method.mode}: `), state),
    method.mode === 'card'
      ? form(
          { class: 'inline', 'aria-label': `Encode the card of ${method.display_name}` },
          async () => {
            const encoderName = select.selectedOptions[0]?.textContent ?? 'the encoder'
            const done = await followAttempt(
              line,
              {
                pending: `Encoding on ${encoderName}: place a card on it`,
                success: `Card encoded on ${encoderName}.`,
                failure: 'Encoding failed',
              },
              async () =>
                (
                  await call<{ action_attempt: ActionAttempt }>('/access_methods/encode', {
                    access_method_id: method.access_method_id,
                    acs_encoder_id: select.value,
                  })
                ).action_attempt,
            )
            if (done) {
              const fresh = await call<{ access_method: AccessMethod }>('/access_methods/get', {
                access_method_id: method.access_method_id,
              })
              state.textContent = cardState(fresh.access_method)
              submit.textContent = 'Encode again'
              if (done.result && typeof done.result === 'object' && 'card_number' in done.result) {
                showStatus(
                  line,
                  `Card encoded on ${encoderName} (card ${String(done.result.card_number)}).`,
                  'success',
                )
              }
            }
          },
          field('Encoder', select),
          submit,
          line,
        )
      : null,
  )
}

const renderGrant = async (
  grant: AccessGrant,
  ctx: Context,
  refresh: (focusGrant?: string) => Promise<void>,
): Promise<HTMLElement> => {
  const { access_methods } = await call<{ access_methods: AccessMethod[] }>(
    '/access_methods/list',
    { access_grant_id: grant.access_grant_id },
  )
  const starts = h('input', { type: 'datetime-local', name: 'starts_at', required: true })
  const ends = h('input', { type: 'datetime-local', name: 'ends_at', required: true })
  if (grant.starts_at) starts.value = localFromIso(grant.starts_at)
  if (grant.ends_at) ends.value = localFromIso(grant.ends_at)
  const line = statusLine({ 'data-role': 'stay-status' })
  return h(
    'article',
    { class: 'grant', 'data-access-grant': grant.access_grant_id },
    h('h3', { tabindex: '-1' }, grant.display_name),
    h('p', {}, `Stay: ${when(grant.starts_at)} – ${when(grant.ends_at)}`),
    ...access_methods.map((method) => renderMethod(method, ctx)),
    h(
      'details',
      {},
      h('summary', {}, 'Change the stay'),
      form(
        { class: 'inline', 'aria-label': `Change the stay of ${grant.display_name}` },
        async () => {
          try {
            await call('/access_grants/update', {
              access_grant_id: grant.access_grant_id,
              starts_at: isoFromLocal(starts.value),
              ends_at: isoFromLocal(ends.value),
            })
            await refresh(grant.access_grant_id)
          } catch (error) {
            showError(line, error)
          }
        },
        field('Arrives', starts),
        field('Leaves', ends),
        h('button', { type: 'submit' }, 'Save the stay'),
        line,
      ),
    ),
  )
}

const newGrantForm = (
  guest: UserIdentity,
  ctx: Context,
  refresh: (focusGrant?: string) => Promise<void>,
) => {
  const rooms = ctx.entrances.map((entrance) => {
    const box = h('input', {
      type: 'checkbox',
      name: 'acs_entrance_ids',
      value: entrance.acs_entrance_id,
      id: `room-${entrance.acs_entrance_id}`,
    })
    return h('div', { class: 'check' }, box, h('label', { for: box.id }, entrance.display_name))
  })
  const starts = h('input', { type: 'datetime-local', name: 'starts_at', required: true })
  const ends = h('input', { type: 'datetime-local', name: 'ends_at', required: true })
  starts.value = dayAt(0, 15)
  ends.value = dayAt(2, 11)
  const line = statusLine({ 'data-role': 'grant-status' })
  return form(
    { 'aria-labelledby': 'new-grant-heading', class: 'card' },
    async (element) => {
      const chosen = [
        ...element.querySelectorAll<HTMLInputElement>('input[name="acs_entrance_ids"]:checked'),
      ].map((box) => box.value)
      const names = ctx.entrances
        .filter((e) => chosen.includes(e.acs_entrance_id))
        .map((e) => e.display_name)
      if (chosen.length === 0) {
        showError(line, 'Choose at least one room.')
        return
      }
      try {
        showStatus(line, 'Giving access…', 'pending')
        const { access_grant } = await call<{ access_grant: AccessGrant }>(
          '/access_grants/create',
          {
            user_identity_id: guest.user_identity_id,
            // Named after its rooms, so the front desk sees them in every list.
            name: names.join(', '),
            acs_entrance_ids: chosen,
            requested_access_methods: [{ mode: 'card' }],
            starts_at: isoFromLocal(starts.value),
            ends_at: isoFromLocal(ends.value),
          },
        )
        await refresh(access_grant.access_grant_id)
      } catch (error) {
        showError(line, error)
      }
    },
    h('h3', { id: 'new-grant-heading' }, 'Give access with a card'),
    h('fieldset', {}, h('legend', {}, 'Rooms and doors'), h('div', { class: 'rooms' }, ...rooms)),
    h('div', { class: 'row' }, field('Arrives', starts), field('Leaves', ends)),
    h('button', { type: 'submit' }, 'Give access'),
    line,
  )
}

const openGuest = async (guest: UserIdentity, ctx: Context): Promise<void> => {
  /** Draws the guest again; focus goes to `focusGrant`'s heading (keyboard users keep their place). */
  const refresh = async (focusGrant?: string) => {
    const { access_grants } = await call<{ access_grants: AccessGrant[] }>('/access_grants/list', {
      user_identity_id: guest.user_identity_id,
    })
    const grants = await Promise.all(access_grants.map((g) => renderGrant(g, ctx, refresh)))
    show(
      ctx.detail,
      h('h2', { id: 'guest-heading', tabindex: '-1' }, guestName(guest)),
      guest.email_address ? h('p', {}, guest.email_address) : null,
      grants.length === 0 ? h('p', {}, 'No access yet.') : h('div', { class: 'grants' }, ...grants),
      newGrantForm(guest, ctx, refresh),
    )
    if (focusGrant) {
      ctx.detail.querySelector<HTMLElement>(`[data-access-grant="${focusGrant}"] h3`)?.focus()
    }
  }
  await refresh()
  ctx.detail.querySelector<HTMLElement>('#guest-heading')?.focus()
}

export const renderGuests = async (main: HTMLElement): Promise<void> => {
  const [encoders, entranceList] = await Promise.all([
    listEncoders(),
    call<{ acs_entrances: AcsEntrance[] }>('/acs/entrances/list'),
  ])
  // Cards open the doors of the access systems that have encoders.
  const withEncoders = new Set(encoders.map((e) => e.acs_system_id))
  const ctx: Context = {
    encoders,
    entrances: entranceList.acs_entrances.filter((e) => withEncoders.has(e.acs_system_id)),
    detail: h('section', { class: 'guest', 'aria-label': 'Guest' }),
  }

  const search = h('input', { type: 'search', name: 'search', autocomplete: 'off' })
  const results = h('ul', { class: 'results', 'aria-label': 'Guests found' })
  const searchLine = statusLine()
  const find = async () => {
    try {
      const { user_identities } = await call<{ user_identities: UserIdentity[] }>(
        '/user_identities/list',
        search.value.trim() ? { search: search.value.trim(), limit: 50 } : { limit: 50 },
      )
      showStatus(searchLine, `${user_identities.length} found`)
      show(
        results,
        ...user_identities.map((guest) =>
          h(
            'li',
            {},
            button(
              `${guestName(guest)}${guest.email_address ? ` (${guest.email_address})` : ''}`,
              () => {
                void openGuest(guest, ctx)
              },
              { class: 'link' },
            ),
          ),
        ),
      )
    } catch (error) {
      showError(searchLine, error)
    }
  }

  const fullName = h('input', {
    type: 'text',
    name: 'full_name',
    required: true,
    autocomplete: 'off',
  })
  const email = h('input', { type: 'email', name: 'email_address', autocomplete: 'off' })
  const createLine = statusLine()

  show(
    main,
    pageHeading('Guests'),
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        {},
        form(
          { role: 'search', 'aria-label': 'Find a guest', class: 'card' },
          find,
          h('h2', {}, 'Find a guest'),
          field('Name, email or phone', search),
          h('button', { type: 'submit' }, 'Find'),
          searchLine,
          results,
        ),
        form(
          { 'aria-labelledby': 'new-guest-heading', class: 'card' },
          async () => {
            try {
              const { user_identity } = await call<{ user_identity: UserIdentity }>(
                '/user_identities/create',
                {
                  full_name: fullName.value.trim(),
                  ...(email.value.trim() ? { email_address: email.value.trim() } : {}),
                },
              )
              fullName.value = ''
              email.value = ''
              showStatus(createLine, `${guestName(user_identity)} added.`, 'success')
              await openGuest(user_identity, ctx)
            } catch (error) {
              showError(createLine, error)
            }
          },
          h('h2', { id: 'new-guest-heading' }, 'New guest'),
          field('Full name', fullName),
          field('Email (optional)', email),
          h('button', { type: 'submit' }, 'Add guest'),
          createLine,
        ),
      ),
      ctx.detail,
    ),
  )
}
