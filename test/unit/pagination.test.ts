import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import { type Insertable, Kysely, PGliteDialect } from 'kysely'
import {
  encoderFilterInProcess,
  listAcsEncoders,
  listAllAcsEncoders,
} from '../../src/db/acs-encoders.js'
import { up } from '../../src/db/migrations/0001_core.js'
import { up as upProviderData } from '../../src/db/migrations/0007_provider_data.js'
import {
  InvalidCursorError,
  type Page,
  type PageRequest,
  paginate,
  paginateRows,
} from '../../src/db/pagination.js'
import { type AcsEncodersTable, type DB, json } from '../../src/db/schema.js'
import { toHttpFailure } from '../../src/http/errors.js'

/** Deterministic, well-spread UUIDs, so insertion order and id order differ. */
const uuid = (name: string): string => {
  const hex = createHash('sha256').update(name).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const workspace = uuid('workspace')
const bigWorkspace = uuid('big workspace')
const emptyWorkspace = uuid('empty workspace')
const connectedAccount = uuid('connected account')
const acsSystem = uuid('acs system')
const base = Date.parse('2025-07-14T12:00:00.000Z')

/**
 * 25 encoders in `workspace`: created_at in groups that share the same instant
 * (7, 1, 5, 1, 8, 3 rows), inserted in an order that is neither time nor id order.
 */
const groups = [7, 1, 5, 1, 8, 3]
const rows: Insertable<AcsEncodersTable>[] = groups.flatMap((size, group) =>
  Array.from({ length: size }, (_, i) => ({
    acs_encoder_id: uuid(`encoder ${group}/${i}`),
    workspace_id: workspace,
    connected_account_id: connectedAccount,
    acs_system_id: acsSystem,
    display_name: `Encoder ${group}/${i}`,
    acs_card_id: null,
    sandbox_state: json({}),
    // Group 5 is one millisecond after group 4: millisecond order must hold.
    created_at: new Date(base + (group === 5 ? 4 * 60_000 + 1 : group * 60_000)),
  })),
)
const insertionOrder = [...rows]
  .sort((a, b) => a.display_name.localeCompare(b.display_name))
  .reverse()
const expectedOrder = [...rows]
  .sort(
    (a, b) =>
      (a.created_at as Date).getTime() - (b.created_at as Date).getTime() ||
      (a.acs_encoder_id < b.acs_encoder_id ? -1 : a.acs_encoder_id > b.acs_encoder_id ? 1 : 0),
  )
  .map((row) => row.acs_encoder_id)

let pglite: PGlite
let db: Kysely<DB>

before(async () => {
  pglite = new PGlite()
  db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  await up(db as unknown as Kysely<unknown>)
  await upProviderData(db as unknown as Kysely<unknown>)
  const at = new Date(base - 3_600_000)
  await db
    .insertInto('workspaces')
    .values(
      [workspace, bigWorkspace, emptyWorkspace].map((id) => ({
        workspace_id: id,
        name: id,
        company_name: 'Hotel',
        is_sandbox: true,
        created_at: at,
      })),
    )
    .execute()
  await db
    .insertInto('connected_accounts')
    .values({
      connected_account_id: connectedAccount,
      workspace_id: workspace,
      account_type: 'visionline',
      account_type_display_name: 'Visionline',
      display_name: 'Sandbox',
      created_at: at,
    })
    .execute()
  await db
    .insertInto('acs_systems')
    .values({
      acs_system_id: acsSystem,
      workspace_id: workspace,
      connected_account_id: connectedAccount,
      name: 'Sandbox Visionline Hotel',
      external_type: 'visionline_system',
      external_type_display_name: 'Visionline',
      time_zone: null,
      provider_data: json({}),
      created_at: at,
    })
    .execute()
  await db.insertInto('acs_encoders').values(insertionOrder).execute()
  // 1,005 encoders created at the same instant, to see the 1,000 cap.
  await db
    .insertInto('acs_encoders')
    .values(
      Array.from({ length: 1005 }, (_, i) => ({
        acs_encoder_id: uuid(`big ${i}`),
        workspace_id: bigWorkspace,
        connected_account_id: connectedAccount,
        acs_system_id: acsSystem,
        display_name: `Big ${i}`,
        acs_card_id: null,
        sandbox_state: json({}),
        created_at: new Date(base),
      })),
    )
    .execute()
})

after(async () => {
  await db?.destroy()
})

const encodersOf = (workspaceId: string) =>
  db.selectFrom('acs_encoders').selectAll().where('workspace_id', '=', workspaceId)

const page = (workspaceId: string, request: PageRequest) =>
  paginate(encodersOf(workspaceId), 'acs_encoders', 'acs_encoder_id', request)

/** Follows next-page cursors to the end; returns every page. */
const walk = async <T>(fetch: (cursor: string | null) => Promise<Page<T>>): Promise<Page<T>[]> => {
  const pages: Page<T>[] = []
  let cursor: string | null = null
  do {
    const current: Page<T> = await fetch(cursor)
    pages.push(current)
    cursor = current.nextPageCursor
    assert.ok(pages.length <= 2000, 'paging must end')
  } while (cursor !== null)
  return pages
}

const invalidCursor = async (cursor: string): Promise<void> => {
  await assert.rejects(page(workspace, { limit: 5, pageCursor: cursor }), (error: unknown) => {
    assert.ok(
      error instanceof InvalidCursorError,
      `expected InvalidCursorError, got ${String(error)}`,
    )
    assert.equal(error.message, 'page_cursor is not a cursor returned by this endpoint')
    // What the API answers for it: 400 invalid_input naming page_cursor.
    const failure = toHttpFailure(error)
    assert.equal(failure.status, 400)
    assert.equal(failure.type, 'invalid_input')
    assert.deepEqual(failure.validationErrors, {
      _errors: [],
      page_cursor: { _errors: ['page_cursor is not a cursor returned by this endpoint'] },
    })
    return true
  })
}

const cursorOf = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url')

describe('paginate', () => {
  test('the fixture has rows sharing created_at, inserted out of order', () => {
    assert.equal(expectedOrder.length, 25)
    assert.notDeepEqual(
      insertionOrder.map((row) => row.acs_encoder_id),
      expectedOrder,
    )
  })

  test('pages of every size walk every row once, in (created_at, id) order', async () => {
    for (const limit of [1, 2, 3, 4, 5, 7, 8, 24, 25, 26, 100]) {
      const pages = await walk((cursor) => page(workspace, { limit, pageCursor: cursor }))
      const ids = pages.flatMap((p) => p.items.map((item) => item.acs_encoder_id))
      assert.deepEqual(ids, expectedOrder, `limit ${limit}`)
      assert.equal(pages.length, Math.ceil(25 / limit), `pages for limit ${limit}`)
      for (const [index, current] of pages.entries()) {
        const isLast = index === pages.length - 1
        assert.equal(current.items.length, isLast ? 25 - limit * index : limit)
        assert.equal(current.nextPageCursor === null, isLast, `limit ${limit}, page ${index}`)
      }
    }
  })

  test('rows come back whole, with created_at as a Date', async () => {
    const { items } = await page(workspace, { limit: 1 })
    const first = rows.find((row) => row.acs_encoder_id === expectedOrder[0])
    assert.ok(first)
    assert.deepEqual(items, [{ ...first, sandbox_state: {} }])
    assert.ok(items[0]?.created_at instanceof Date)
  })

  test('no rows: an empty last page', async () => {
    assert.deepEqual(await page(emptyWorkspace, { limit: 10 }), { items: [], nextPageCursor: null })
  })

  test('a missing, null or empty cursor is the first page', async () => {
    for (const pageCursor of [undefined, null, '']) {
      const { items } = await page(workspace, { limit: 3, pageCursor })
      assert.deepEqual(
        items.map((item) => item.acs_encoder_id),
        expectedOrder.slice(0, 3),
      )
    }
  })

  test('the cursor is a position: it keeps working as rows come and go', async () => {
    const first = await page(workspace, { limit: 10 })
    assert.ok(first.nextPageCursor)
    const seventh = rows.find((row) => row.acs_encoder_id === expectedOrder[6])
    assert.ok(seventh)
    const trx = await db.startTransaction().execute()
    try {
      // Remove the last row of the first page: the next page starts where it did.
      await trx
        .deleteFrom('acs_encoders')
        .where('acs_encoder_id', '=', expectedOrder[9] ?? '')
        .execute()
      const next = await paginate(
        trx.selectFrom('acs_encoders').selectAll().where('workspace_id', '=', workspace),
        'acs_encoders',
        'acs_encoder_id',
        { limit: 100, pageCursor: first.nextPageCursor },
      )
      assert.deepEqual(
        next.items.map((item) => item.acs_encoder_id),
        expectedOrder.slice(10),
      )
      // A row created before the cursor's position is not on later pages; one after is.
      await trx
        .insertInto('acs_encoders')
        .values([
          { ...seventh, acs_encoder_id: uuid('early'), created_at: new Date(base - 1) },
          { ...seventh, acs_encoder_id: uuid('late'), created_at: new Date(base + 3_600_000) },
        ])
        .execute()
      const withNew = await paginate(
        trx.selectFrom('acs_encoders').selectAll().where('workspace_id', '=', workspace),
        'acs_encoders',
        'acs_encoder_id',
        { limit: 100, pageCursor: first.nextPageCursor },
      )
      assert.deepEqual(
        withNew.items.map((item) => item.acs_encoder_id),
        [...expectedOrder.slice(10), uuid('late')],
      )
    } finally {
      await trx.rollback().execute()
    }
    const again = await page(workspace, { limit: 100, pageCursor: first.nextPageCursor })
    assert.deepEqual(
      again.items.map((item) => item.acs_encoder_id),
      expectedOrder.slice(10),
    )
  })

  test('a cursor that paginate did not write is invalid_input naming page_cursor', async () => {
    const validId = uuid('any')
    for (const cursor of [
      'garbage',
      'not a cursor at all!',
      cursorOf(null),
      cursorOf(5),
      cursorOf('ab'),
      cursorOf({ created_at: '2025-07-14T12:00:00.000Z', id: validId }),
      cursorOf([]),
      cursorOf(['2025-07-14T12:00:00.000Z']),
      cursorOf(['2025-07-14T12:00:00.000Z', 'not-a-uuid']),
      cursorOf(['2025-07-14T12:00:00.000Z', 42]),
      cursorOf(['yesterday', validId]),
      cursorOf(['0000-01-01T00:00:00.000Z', validId]),
      cursorOf(['+010000-01-01T00:00:00.000Z', validId]),
      `${cursorOf(['2025-07-14T12:00:00.000Z', validId])}x`,
    ]) {
      await invalidCursor(cursor)
    }
  })

  test('limit is clamped to 1..1000 and rounded down', async () => {
    const size = async (limit: number, workspaceId = workspace) =>
      (await page(workspaceId, { limit })).items.length
    assert.equal(await size(0), 1)
    assert.equal(await size(-5), 1)
    assert.equal(await size(0.5), 1)
    assert.equal(await size(2.9), 2)
    assert.equal(await size(1000, bigWorkspace), 1000)
    assert.equal(await size(1001, bigWorkspace), 1000)
    assert.equal(await size(5000, bigWorkspace), 1000)
    assert.equal(await size(Number.POSITIVE_INFINITY, bigWorkspace), 1000)
  })

  test('1,005 rows with one created_at page by id alone', async () => {
    const pages = await walk((cursor) => page(bigWorkspace, { limit: 5000, pageCursor: cursor }))
    assert.deepEqual(
      pages.map((p) => p.items.length),
      [1000, 5],
    )
    const ids = pages.flatMap((p) => p.items.map((item) => item.acs_encoder_id))
    const expected = Array.from({ length: 1005 }, (_, i) => uuid(`big ${i}`)).sort()
    assert.deepEqual(ids, expected)
  })

  test('a joined query pages by the named table’s columns', async () => {
    const query = db
      .selectFrom('acs_encoders')
      .innerJoin('acs_systems', 'acs_systems.acs_system_id', 'acs_encoders.acs_system_id')
      .where('acs_encoders.workspace_id', '=', workspace)
      .select([
        'acs_encoders.acs_encoder_id',
        'acs_encoders.created_at',
        'acs_systems.name as system_name',
      ])
    const pages = await walk((cursor) =>
      paginate(query, 'acs_encoders', 'acs_encoder_id', { limit: 6, pageCursor: cursor }),
    )
    const items = pages.flatMap((p) => p.items)
    assert.deepEqual(
      items.map((item) => item.acs_encoder_id),
      expectedOrder,
    )
    const systemNames: string[] = items.map((item) => item.system_name)
    assert.deepEqual(new Set(systemNames), new Set(['Sandbox Visionline Hotel']))
  })

  test('typing: rows must carry created_at and the id column', () => {
    // Never called: the @ts-expect-error lines fail the build if paginate's types loosen.
    const typeChecks = async (): Promise<void> => {
      const withoutCreatedAt = db.selectFrom('acs_encoders').select(['acs_encoder_id'])
      // @ts-expect-error created_at is not selected
      await paginate(withoutCreatedAt, 'acs_encoders', 'acs_encoder_id', { limit: 1 })
      const withoutId = db.selectFrom('acs_encoders').select(['created_at'])
      // @ts-expect-error the id column is not selected
      await paginate(withoutId, 'acs_encoders', 'acs_encoder_id', { limit: 1 })
      // @ts-expect-error not a table of the query
      await paginate(encodersOf(workspace), 'no_such_table', 'acs_encoder_id', { limit: 1 })
      const typed: Page<{ acs_encoder_id: string; created_at: Date }> = await paginate(
        db.selectFrom('acs_encoders').select(['acs_encoder_id', 'created_at']),
        'acs_encoders',
        'acs_encoder_id',
        { limit: 1 },
      )
      assert.ok(typed)
    }
    assert.equal(typeof typeChecks, 'function')
  })
})

/**
 * Rows kept in the process (domain/catalog-cache.ts) are paged in memory: the same
 * pages and the same cursors as the query, so which one answered cannot be seen.
 */
describe('paginateRows', () => {
  const kept = async (workspaceId: string) => {
    const all = await listAllAcsEncoders(db, workspaceId, 5_000)
    assert.ok(all)
    return all
  }

  test('loads every row in page order, or null past the limit', async () => {
    assert.deepEqual(
      (await kept(workspace)).map((row) => row.acs_encoder_id),
      expectedOrder,
    )
    assert.equal((await listAllAcsEncoders(db, bigWorkspace, 1_005))?.length, 1_005)
    assert.equal(await listAllAcsEncoders(db, bigWorkspace, 1_004), null)
  })

  test('every page and cursor equals those of the query, and cursors work across the two', async () => {
    const rowsKept = await kept(workspace)
    for (const limit of [1, 2, 3, 5, 7, 8, 24, 25, 26, 100]) {
      const fromQuery = await walk((cursor) => page(workspace, { limit, pageCursor: cursor }))
      const inMemory = await walk(async (cursor) =>
        paginateRows(rowsKept, 'acs_encoder_id', { limit, pageCursor: cursor }),
      )
      assert.deepEqual(inMemory, fromQuery, `limit ${limit}`)
    }
    // A cursor handed out by one is taken by the other.
    const first = paginateRows(rowsKept, 'acs_encoder_id', { limit: 6 })
    assert.ok(first.nextPageCursor)
    const next = await page(workspace, { limit: 6, pageCursor: first.nextPageCursor })
    assert.deepEqual(
      next.items.map((item) => item.acs_encoder_id),
      expectedOrder.slice(6, 12),
    )
    // Past the last row: an empty last page, as the query gives.
    const last = rowsKept.at(-1)
    assert.ok(last)
    const beyond = cursorOf([last.created_at.toISOString(), last.acs_encoder_id])
    assert.deepEqual(paginateRows(rowsKept, 'acs_encoder_id', { limit: 3, pageCursor: beyond }), {
      items: [],
      nextPageCursor: null,
    })
    assert.deepEqual(await page(workspace, { limit: 3, pageCursor: beyond }), {
      items: [],
      nextPageCursor: null,
    })
  })

  test('the 1,000 cap and bad cursors as the query has them', async () => {
    const big = await kept(bigWorkspace)
    assert.equal(paginateRows(big, 'acs_encoder_id', { limit: 5_000 }).items.length, 1_000)
    assert.throws(
      () => paginateRows(big, 'acs_encoder_id', { limit: 5, pageCursor: 'not-a-cursor' }),
      InvalidCursorError,
    )
  })

  test('filters in memory select what the query selects', async () => {
    const rowsKept = await kept(workspace)
    const some = [expectedOrder[3], expectedOrder[0], expectedOrder[17]].map((id) => id ?? '')
    const cases = [
      {},
      { acs_encoder_ids: some },
      { acs_encoder_ids: some.map((id) => id.toUpperCase()) },
      { acs_encoder_ids: ['not-a-uuid'] },
      { acs_encoder_ids: [] },
      { acs_system_ids: [acsSystem.toUpperCase()] },
      { acs_system_ids: [bigWorkspace], acs_encoder_ids: some },
      { acs_system_ids: [acsSystem], acs_encoder_ids: [...some, 'x'] },
    ]
    for (const filters of cases) {
      const fromQuery = await listAcsEncoders(db, workspace, filters, { limit: 100 })
      const inMemory = paginateRows(
        rowsKept.filter(encoderFilterInProcess(filters)),
        'acs_encoder_id',
        { limit: 100 },
      )
      assert.deepEqual(inMemory, fromQuery, JSON.stringify(filters))
    }
  })
})
