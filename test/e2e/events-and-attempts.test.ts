import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { before, test } from 'node:test'
import { type SeamHttp, SeamHttpApiError, SeamHttpInvalidInputError } from '@seamapi/http/connect'
import { assertErrorBody, assertResource, assertResponse } from '../support/contract.js'
import { eventually } from '../support/poll.js'
import { backOffice, frontDesk, hotel, room101, since } from '../support/sandbox.js'
import { sandboxCounts } from '../support/sandbox-counts.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * /events/list and /events/get (time windows, filters, order, limit and offset),
 * /action_attempts/get and /list, and keyset pagination with page_cursor and
 * next_page_url.
 */

const hotelAccount = '11111111-1111-1111-1111-222222222222'

type SeamEvent = Awaited<ReturnType<SeamHttp['events']['list']>>[number]

/** The event's value of a property that only some event types have. */
const field = (event: SeamEvent, key: string): unknown =>
  (event as unknown as Record<string, unknown>)[key]

const shift = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString()

const invalidInput = async (call: Promise<unknown>, parameter?: string): Promise<void> => {
  try {
    await call
  } catch (error) {
    assert.ok(error instanceof SeamHttpInvalidInputError, `expected invalid_input, got ${error}`)
    assert.equal(error.statusCode, 400)
    if (parameter !== undefined) {
      assert.ok(
        error.getValidationErrorMessages(parameter).length > 0,
        `${error.message} names ${parameter}`,
      )
    }
    return
  }
  assert.fail('expected a 400 invalid_input, but the call succeeded')
}

const notFound = async (call: Promise<unknown>, type: string): Promise<void> => {
  try {
    await call
  } catch (error) {
    assert.ok(error instanceof SeamHttpApiError, `expected an API error, got ${error}`)
    assert.equal(error.statusCode, 404)
    assert.equal(error.code, type)
    return
  }
  assert.fail(`expected a 404 ${type}, but the call succeeded`)
}

forEachDatabase('events and pagination', (kind) => {
  const server = useServer(kind)
  const made = {
    saltoSystemId: '',
    saltoAccountId: '',
    hotelUserId: '',
    saltoUserId: '',
    credentialId: '',
  }

  before(async () => {
    const seam = server.current.seam()
    const salto = (await seam.acs.systems.list()).find((s) => s.external_type === 'salto_ks_site')
    assert.ok(salto)
    made.saltoSystemId = salto.acs_system_id
    made.saltoAccountId = salto.connected_account_id
    const hotelUser = await seam.acs.users.create({ acs_system_id: hotel, full_name: 'Ev Hotel' })
    const credential = await seam.acs.credentials.create({
      acs_user_id: hotelUser.acs_user_id,
      access_method: 'card',
      allowed_acs_entrance_ids: [room101],
      starts_at: '2026-06-01T15:00:00.000Z',
      ends_at: '2026-06-03T11:00:00.000Z',
    })
    const encoded = await seam.acs.encoders.encodeCredential({
      acs_encoder_id: frontDesk,
      acs_credential_id: credential.acs_credential_id,
    })
    assert.equal(encoded.status, 'success')
    const saltoUser = await seam.acs.users.create({
      acs_system_id: salto.acs_system_id,
      full_name: 'Ev Salto',
    })
    made.hotelUserId = hotelUser.acs_user_id
    made.saltoUserId = saltoUser.acs_user_id
    made.credentialId = credential.acs_credential_id
  })

  test('a time range is required: since or between', async () => {
    const s = server.current
    const seam = s.seam()
    const response = await s.fetch('/events/list', { json: {} })
    assert.equal(response.status, 400)
    const body = (await response.json()) as {
      error: { type: string; validation_errors?: Record<string, unknown> }
    }
    assertErrorBody(body)
    assert.equal(body.error.type, 'invalid_input')
    assert.ok(body.error.validation_errors?.since)
    await invalidInput(seam.events.list({ event_type: 'acs_user.created' }), 'since')
    await invalidInput(seam.events.list({ between: [since] }), 'between')
    await invalidInput(seam.events.list({ between: [since, since, since] }), 'between')
    await invalidInput(
      seam.events.list({ between: ['2030-01-01T00:00:00.000Z', since] }),
      'between',
    )
    await invalidInput(seam.events.list({ since: 'yesterday' }), 'since')
    await invalidInput(seam.events.list({ between: ['soon', 'later'] }), 'between')
    const unknownType = await s.fetch('/events/list', {
      json: { since, event_type: 'not.an_event' },
    })
    assert.equal(unknownType.status, 400)
  })

  test('since is inclusive; between is exclusive at both ends', async () => {
    const seam = server.current.seam()
    const [created] = await seam.events.list({ since, acs_user_id: made.hotelUserId })
    assert.ok(created && created.event_type === 'acs_user.created')
    const t = created.created_at
    const only = { event_ids: [created.event_id] }
    const ids = (events: SeamEvent[]) => events.map((e) => e.event_id)

    assert.deepEqual(ids(await seam.events.list({ since: t, ...only })), [created.event_id])
    assert.deepEqual(ids(await seam.events.list({ since: shift(t, 1), ...only })), [])
    assert.deepEqual(ids(await seam.events.list({ since: shift(t, -1), ...only })), [
      created.event_id,
    ])
    assert.deepEqual(
      ids(await seam.events.list({ between: [shift(t, -1), shift(t, 1)], ...only })),
      [created.event_id],
    )
    assert.deepEqual(ids(await seam.events.list({ between: [t, shift(t, 1)], ...only })), [])
    assert.deepEqual(ids(await seam.events.list({ between: [shift(t, -1), t], ...only })), [])

    // Without other filters, every event listed is inside the window.
    const after = await seam.events.list({ since: t })
    assert.ok(after.some((e) => e.event_id === created.event_id))
    assert.ok(after.every((e) => Date.parse(e.created_at) >= Date.parse(t)))
    const window = await seam.events.list({ between: [shift(t, -1), shift(t, 1)] })
    assert.ok(window.some((e) => e.event_id === created.event_id))
    assert.ok(window.every((e) => Math.abs(Date.parse(e.created_at) - Date.parse(t)) < 1))
    // A window in the future is empty.
    assert.deepEqual(await seam.events.list({ since: '2100-01-01T00:00:00.000Z' }), [])
  })

  test('event_type and event_types', async () => {
    const seam = server.current.seam()
    const entrances = await seam.events.list({ since, event_type: 'acs_entrance.added' })
    // Each entrance of each sandbox site, once.
    assert.equal(entrances.length, sandboxCounts.entrances)
    assert.ok(entrances.every((e) => e.event_type === 'acs_entrance.added'))
    assert.equal(
      new Set(entrances.map((e) => field(e, 'acs_entrance_id'))).size,
      sandboxCounts.entrances,
    )

    const some = await seam.events.list({
      since,
      event_types: ['acs_encoder.added', 'acs_system.added', 'acs_user.created'],
    })
    const count = (type: string) => some.filter((e) => e.event_type === type).length
    assert.equal(count('acs_encoder.added'), sandboxCounts.encoders)
    assert.equal(count('acs_system.added'), sandboxCounts.systems)
    assert.equal(count('acs_user.created'), 2)
    assert.equal(some.length, sandboxCounts.encoders + sandboxCounts.systems + 2)

    const one = await seam.events.list({ since, event_types: ['acs_credential.issued'] })
    assert.deepEqual(
      one.map((e) => [e.event_type, field(e, 'acs_credential_id')]),
      [['acs_credential.issued', made.credentialId]],
    )
    assert.deepEqual(await seam.events.list({ since, event_type: 'acs_credential.deleted' }), [])
  })

  test('resource filters: each event listed names the resource', async () => {
    const seam = server.current.seam()
    const filtered = async (key: string, value: string, params: object = { [key]: value }) => {
      const events = await seam.events.list({ since, ...params })
      for (const event of events) {
        assertResource('event', event)
        assert.equal(field(event, key), value, `${event.event_type} has ${key} ${value}`)
      }
      return events.map((e) => e.event_type).sort()
    }

    const saltoKs = {
      entrances: sandboxCounts.entrancesOf('salto_ks_site'),
      encoders: sandboxCounts.encodersOf('salto_ks_site'),
    }
    assert.deepEqual(await filtered('acs_system_id', made.saltoSystemId), [
      ...Array.from({ length: saltoKs.encoders }, () => 'acs_encoder.added'),
      ...Array.from({ length: saltoKs.entrances }, () => 'acs_entrance.added'),
      'acs_system.added',
      'acs_user.created',
    ])
    const hotelEvents = await filtered('acs_system_id', hotel)
    assert.equal(hotelEvents.filter((t) => t === 'acs_entrance.added').length, 24)
    assert.equal(hotelEvents.filter((t) => t === 'acs_encoder.added').length, 2)
    assert.ok(hotelEvents.includes('acs_credential.issued'))

    const saltoEvents = saltoKs.encoders + saltoKs.entrances + 2
    const both = await seam.events.list({ since, acs_system_ids: [hotel, made.saltoSystemId] })
    assert.equal(both.length, hotelEvents.length + saltoEvents)
    const justSalto = await seam.events.list({ since, acs_system_ids: [made.saltoSystemId] })
    assert.equal(justSalto.length, saltoEvents)

    assert.deepEqual(await filtered('acs_credential_id', made.credentialId), [
      'acs_credential.issued',
    ])
    assert.deepEqual(await filtered('acs_user_id', made.hotelUserId), ['acs_user.created'])
    assert.deepEqual(await filtered('acs_user_id', made.saltoUserId), ['acs_user.created'])
    assert.ok((await filtered('acs_encoder_id', frontDesk)).includes('acs_encoder.added'))
    assert.deepEqual(await filtered('acs_encoder_id', backOffice), ['acs_encoder.added'])
    assert.ok((await filtered('acs_entrance_id', room101)).includes('acs_entrance.added'))
    const saltoAccount = await filtered('connected_account_id', made.saltoAccountId)
    assert.ok(saltoAccount.includes('connected_account.connected'))
    assert.ok(saltoAccount.includes('acs_system.added'))
    assert.ok(
      (await filtered('connected_account_id', hotelAccount)).includes('acs_credential.issued'),
    )

    // Filters combine: all must hold.
    assert.deepEqual(
      await filtered('acs_system_id', hotel, {
        acs_system_id: hotel,
        acs_user_id: made.hotelUserId,
      }),
      ['acs_user.created'],
    )
    assert.deepEqual(
      await seam.events.list({
        since,
        acs_system_id: made.saltoSystemId,
        acs_user_id: made.hotelUserId,
      }),
      [],
    )
    // Unknown resources have no events.
    for (const key of ['acs_system_id', 'acs_user_id', 'acs_credential_id', 'acs_encoder_id']) {
      assert.deepEqual(await seam.events.list({ since, [key]: randomUUID() }), [], key)
    }
  })

  test('a long list of ids filters like a short one', async () => {
    const seam = server.current.seam()
    const ids = (events: { event_id: string }[]) => events.map((e) => e.event_id)
    const short = ids(await seam.events.list({ since, acs_system_ids: [made.saltoSystemId] }))
    // The Salto KS site's entrances, encoders and system added, and one user created.
    assert.equal(
      short.length,
      sandboxCounts.entrancesOf('salto_ks_site') + sandboxCounts.encodersOf('salto_ks_site') + 2,
    )
    for (const count of [150, 10_000]) {
      const others = Array.from({ length: count }, () => randomUUID())
      const long = await seam.events.list({
        since,
        acs_system_ids: [
          ...others.slice(0, count / 2),
          made.saltoSystemId,
          ...others.slice(count / 2),
        ],
      })
      assert.deepEqual(ids(long), short, `${count} ids`)
      assert.deepEqual(await seam.events.list({ since, acs_system_ids: others }), [])
    }
  })

  test('event_ids', async () => {
    const seam = server.current.seam()
    const all = await seam.events.list({ since })
    const [a, , b] = all
    assert.ok(a && b)
    const picked = await seam.events.list({ since, event_ids: [b.event_id, a.event_id] })
    assert.deepEqual(
      picked.map((e) => e.event_id),
      [a.event_id, b.event_id],
      'newest first, whatever the order asked',
    )
    assert.deepEqual(await seam.events.list({ since, event_ids: [randomUUID()] }), [])
    const mixed = await seam.events.list({ since, event_ids: [randomUUID(), a.event_id] })
    assert.deepEqual(
      mixed.map((e) => e.event_id),
      [a.event_id],
    )
  })

  test('newest first; limit and unstable_offset page the list', async () => {
    const seam = server.current.seam()
    const all = await seam.events.list({ since })
    // Each site's account, system, entrances and encoders; 2 users; 1 card issued.
    assert.equal(all.length, sandboxCounts.seedingEvents + 2 + 1)
    for (const event of all) assertResource('event', event)
    for (let i = 1; i < all.length; i++) {
      const [newer, older] = [all[i - 1], all[i]]
      assert.ok(newer && older)
      assert.ok(Date.parse(newer.created_at) >= Date.parse(older.created_at), `${i}`)
    }
    const position = (type: string) => all.findIndex((e) => e.event_type === type)
    assert.ok(position('acs_user.created') < position('connected_account.connected'))
    assert.equal(all[all.length - 1]?.event_type, 'connected_account.connected')
    assert.equal(new Set(all.map((e) => e.event_id)).size, all.length)

    const ids = (events: SeamEvent[]) => events.map((e) => e.event_id)
    assert.deepEqual(ids(await seam.events.list({ since, limit: 3 })), ids(all.slice(0, 3)))
    assert.deepEqual(
      ids(await seam.events.list({ since, limit: 4, unstable_offset: 3 })),
      ids(all.slice(3, 7)),
    )
    assert.deepEqual(
      ids(await seam.events.list({ since, unstable_offset: all.length - 2 })),
      ids(all.slice(-2)),
    )
    assert.deepEqual(await seam.events.list({ since, unstable_offset: all.length }), [])
    // Paging by offset visits every event once.
    const paged: string[] = []
    for (let offset = 0; offset < all.length; offset += 10) {
      paged.push(...ids(await seam.events.list({ since, limit: 10, unstable_offset: offset })))
    }
    assert.deepEqual(paged, ids(all))
    // Filters apply before the limit.
    const limited = await seam.events.list({ since, event_type: 'acs_entrance.added', limit: 5 })
    assert.equal(limited.length, 5)
    assert.ok(limited.every((e) => e.event_type === 'acs_entrance.added'))
  })

  test('/events/get by event_id (and the newest of an event_type)', async () => {
    const seam = server.current.seam()
    const all = await seam.events.list({ since })
    for (const event of [all[0], all[5], all[all.length - 1]]) {
      assert.ok(event)
      const got = await seam.events.get({ event_id: event.event_id })
      assert.deepEqual(got, event)
      assertResource('event', got)
    }
    await notFound(seam.events.get({ event_id: randomUUID() }), 'event_not_found')
    await invalidInput(seam.events.get({ event_id: 'not-an-id' }), 'event_id')
    const newest = await seam.events.get({ event_type: 'acs_user.created' })
    assert.equal(field(newest, 'acs_user_id'), made.saltoUserId)
  })

  interface EntrancePage {
    acs_entrances: { acs_entrance_id: string; acs_system_id: string }[]
    pagination: {
      has_next_page: boolean
      next_page_cursor: string | null
      next_page_url: string | null
    }
  }

  const readPage = async (response: Response, method: string): Promise<EntrancePage> => {
    const body = (await response.json()) as unknown
    assert.equal(response.status, 200, JSON.stringify(body))
    assertResponse(method, '/acs/entrances/list', body)
    return body as EntrancePage
  }

  test('walking /acs/entrances/list by five visits every entrance once, in a stable order', async () => {
    const seam = server.current.seam()
    const all = (await seam.acs.entrances.list({ limit: 1000 })).map((e) => e.acs_entrance_id)
    assert.equal(all.length, sandboxCounts.entrances)
    assert.equal(new Set(all).size, sandboxCounts.entrances)

    const walk = async () => {
      const paginator = seam.createPaginator(seam.acs.entrances.list({ limit: 5 }))
      let [items, pagination] = await paginator.firstPage()
      const pages = [items.map((e) => e.acs_entrance_id)]
      while (pagination.hasNextPage) {
        ;[items, pagination] = await paginator.nextPage(pagination.nextPageCursor)
        pages.push(items.map((e) => e.acs_entrance_id))
      }
      return pages
    }
    const pages = await walk()
    assert.deepEqual(
      pages.map((p) => p.length),
      Array.from({ length: Math.ceil(sandboxCounts.entrances / 5) }, (_, i) =>
        Math.min(5, sandboxCounts.entrances - i * 5),
      ),
    )
    assert.deepEqual(pages.flat(), all)
    assert.deepEqual(await walk(), pages, 'the same pages again')

    const flattened = await seam
      .createPaginator(seam.acs.entrances.list({ limit: 7 }))
      .flattenToArray()
    assert.deepEqual(
      flattened.map((e) => e.acs_entrance_id),
      all,
    )
  })

  test('next_page_url is an absolute URL whose GET is the next page', async () => {
    const s = server.current
    const seam = s.seam()
    const all = (await seam.acs.entrances.list({ limit: 1000 })).map((e) => e.acs_entrance_id)

    for (const method of ['GET', 'POST']) {
      let page = await readPage(
        method === 'GET'
          ? await s.fetch('/acs/entrances/list?limit=5')
          : await s.fetch('/acs/entrances/list', { json: { limit: 5 } }),
        method,
      )
      const seen = [...page.acs_entrances.map((e) => e.acs_entrance_id)]
      while (page.pagination.has_next_page) {
        const { next_page_url: nextUrl, next_page_cursor: cursor } = page.pagination
        assert.ok(nextUrl && cursor)
        const url = new URL(nextUrl)
        assert.equal(url.origin, new URL(s.url).origin)
        assert.equal(url.pathname, '/acs/entrances/list')
        assert.equal(url.searchParams.get('limit'), '5')
        assert.equal(url.searchParams.get('page_cursor'), cursor)
        const viaCursor = await readPage(
          await s.fetch('/acs/entrances/list', { json: { limit: 5, page_cursor: cursor } }),
          'POST',
        )
        page = await readPage(await s.fetch(nextUrl), 'GET')
        assert.deepEqual(
          page.acs_entrances.map((e) => e.acs_entrance_id),
          viaCursor.acs_entrances.map((e) => e.acs_entrance_id),
        )
        seen.push(...page.acs_entrances.map((e) => e.acs_entrance_id))
      }
      assert.equal(page.pagination.next_page_cursor, null)
      assert.equal(page.pagination.next_page_url, null)
      assert.deepEqual(seen, all, method)
    }

    // The URL keeps the filters.
    let page = await readPage(
      await s.fetch('/acs/entrances/list', { json: { acs_system_id: hotel, limit: 5 } }),
      'POST',
    )
    const hotelOnly = [...page.acs_entrances]
    while (page.pagination.next_page_url) {
      assert.equal(new URL(page.pagination.next_page_url).searchParams.get('acs_system_id'), hotel)
      page = await readPage(await s.fetch(page.pagination.next_page_url), 'GET')
      hotelOnly.push(...page.acs_entrances)
    }
    assert.equal(hotelOnly.length, 24)
    assert.ok(hotelOnly.every((e) => e.acs_system_id === hotel))

    // The URL needs the API key like any request.
    const first = await readPage(await s.fetch('/acs/entrances/list?limit=5'), 'GET')
    assert.ok(first.pagination.next_page_url)
    const anonymous = await fetch(first.pagination.next_page_url)
    assert.equal(anonymous.status, 401)
  })

  test('a page_cursor this server did not make is 400 invalid_input', async () => {
    const s = server.current
    const seam = s.seam()
    const cursors = [
      'garbage',
      '!!!',
      'eyJ4IjoxfQ',
      Buffer.from('[1, 2]').toString('base64url'),
      Buffer.from(JSON.stringify(['yesterday', randomUUID()])).toString('base64url'),
      Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])).toString('base64url'),
      'x'.repeat(5000),
    ]
    for (const cursor of cursors) {
      await invalidInput(seam.acs.entrances.list({ limit: 5, page_cursor: cursor }), 'page_cursor')
      await invalidInput(seam.acs.users.list({ page_cursor: cursor }), 'page_cursor')
      await invalidInput(
        seam.acs.encoders.list({ acs_system_id: hotel, page_cursor: cursor }),
        'page_cursor',
      )
      await invalidInput(seam.actionAttempts.list({ page_cursor: cursor }), 'page_cursor')
    }
    // No cursor (null or empty) is the first page.
    const first = (await seam.acs.entrances.list({ limit: 5 })).map((e) => e.acs_entrance_id)
    const fromNull = await seam.acs.entrances.list({ limit: 5, page_cursor: null })
    assert.deepEqual(
      fromNull.map((e) => e.acs_entrance_id),
      first,
    )
  })
})

const newCredential = async (seam: SeamHttp, name: string) => {
  const user = await seam.acs.users.create({ acs_system_id: hotel, full_name: name })
  return seam.acs.credentials.create({
    acs_user_id: user.acs_user_id,
    access_method: 'card',
    allowed_acs_entrance_ids: [room101],
    starts_at: '2026-06-10T15:00:00.000Z',
    ends_at: '2026-06-12T11:00:00.000Z',
  })
}

forEachDatabase('action attempts', (kind) => {
  const server = useServer(kind)

  const settled = (seam: SeamHttp, ids: string[]) =>
    eventually(
      async () => {
        const attempts = await seam.actionAttempts.list({ action_attempt_ids: ids })
        return attempts.every((a) => a.status !== 'pending') ? attempts : undefined
      },
      { what: 'the action attempts to finish' },
    )

  test('action_attempt_ids filters; limit and page_cursor page the list', async () => {
    const s = server.current
    const seam = s.seam()
    const credential = await newCredential(seam, 'Paging Guest')
    const started = [
      await seam.acs.encoders.scanCredential(
        { acs_encoder_id: frontDesk },
        { waitForActionAttempt: false },
      ),
      await seam.acs.encoders.scanCredential(
        { acs_encoder_id: backOffice },
        { waitForActionAttempt: false },
      ),
      await seam.acs.encoders.encodeCredential(
        { acs_encoder_id: backOffice, acs_credential_id: credential.acs_credential_id },
        { waitForActionAttempt: false },
      ),
    ]
    const ids = started.map((a) => a.action_attempt_id)
    const picked = await seam.actionAttempts.list({
      action_attempt_ids: [ids[2] ?? '', ids[0] ?? ''],
    })
    assert.deepEqual(picked.map((a) => a.action_attempt_id).sort(), [ids[0], ids[2]].sort())
    assert.deepEqual(await seam.actionAttempts.list({ action_attempt_ids: [randomUUID()] }), [])

    const all = await seam.actionAttempts.list({ limit: 1000 })
    assert.ok(all.length >= 3)
    for (const attempt of all) assertResource('action_attempt', attempt)
    const allIds = all.map((a) => a.action_attempt_id)
    for (const id of ids) assert.ok(allIds.includes(id))

    // Page by two through everything, with the SDK's paginator.
    const paginator = seam.createPaginator(seam.actionAttempts.list({ limit: 2 }))
    let [items, pagination] = await paginator.firstPage()
    const walked = [...items.map((a) => a.action_attempt_id)]
    while (pagination.hasNextPage) {
      assert.equal(items.length, 2)
      ;[items, pagination] = await paginator.nextPage(pagination.nextPageCursor)
      walked.push(...items.map((a) => a.action_attempt_id))
    }
    assert.equal(pagination.nextPageCursor, null)
    assert.equal(pagination.nextPageUrl, null)
    // Attempts finishing meanwhile do not move in the order.
    assert.deepEqual(walked, allIds)

    // The filter and the paging combine.
    const one = seam.createPaginator(
      seam.actionAttempts.list({ action_attempt_ids: ids, limit: 1 }),
    )
    const pages: string[][] = []
    for await (const page of one) pages.push(page.map((a) => a.action_attempt_id))
    assert.equal(pages.length, 3)
    assert.deepEqual(pages.flat().sort(), [...ids].sort())

    const bad = await s.fetch('/action_attempts/list', { json: { page_cursor: 'garbage' } })
    assert.equal(bad.status, 400)

    const finished = await settled(seam, ids)
    assert.ok(finished.every((a) => a.status === 'success'))
  })
})

forEachDatabase('an action attempt seen pending, then finished', (kind) => {
  // An API-only process holds the attempt pending for as long as the test needs.
  const server = useServer(kind, { env: { KEYSMITH_WORKERS: 'off' } })

  test('an attempt is pending, then succeeds; get and list show each state', async () => {
    const credential = await newCredential(server.current.seam(), 'Pending Guest')
    let seam = server.current.seam()
    const started = await seam.acs.encoders.encodeCredential(
      { acs_encoder_id: frontDesk, acs_credential_id: credential.acs_credential_id },
      { waitForActionAttempt: false },
    )
    assert.equal(started.status, 'pending')
    assertResource('action_attempt', started)
    const id = started.action_attempt_id

    const pending = await seam.actionAttempts.get(
      { action_attempt_id: id },
      { waitForActionAttempt: false },
    )
    assert.equal(pending.status, 'pending')
    assert.equal(pending.action_type, 'ENCODE_CREDENTIAL')
    assert.equal(pending.result, null)
    assert.equal(pending.error, null)
    const [listed] = await seam.actionAttempts.list({ action_attempt_ids: [id] })
    assert.deepEqual(listed, pending)

    // A process that runs background work picks the attempt up.
    await server.current.restart({ KEYSMITH_WORKERS: 'on' })
    seam = server.current.seam()

    const done = await eventually(
      async () => {
        const attempt = await seam.actionAttempts.get(
          { action_attempt_id: id },
          { waitForActionAttempt: false },
        )
        return attempt.status === 'pending' ? undefined : attempt
      },
      { what: 'the encoding to finish' },
    )
    assert.equal(done.status, 'success')
    assertResource('action_attempt', done)
    if (done.action_type !== 'ENCODE_CREDENTIAL' || done.status !== 'success') {
      assert.fail('not a successful encoding')
    }
    assert.equal(done.result.acs_credential_id, credential.acs_credential_id)
    assert.deepEqual(await seam.actionAttempts.list({ action_attempt_ids: [id] }), [done])
    // The SDK's own polling arrives at the same attempt.
    assert.deepEqual(
      await seam.actionAttempts.get({ action_attempt_id: id }, { waitForActionAttempt: true }),
      done,
    )

    await notFound(
      seam.actionAttempts.get({ action_attempt_id: randomUUID() }),
      'action_attempt_not_found',
    )
    await invalidInput(seam.actionAttempts.get({ action_attempt_id: 'nope' }), 'action_attempt_id')
  })
})
