import { type SelectQueryBuilder, sql } from 'kysely'
import type { DB } from './schema.js'
import { isStorableTime } from './time.js'

/**
 * A `page_cursor` this server did not hand out. Like a PostgreSQL error, it carries
 * a `code` that the HTTP layer maps to 400 `invalid_input` (src/http/errors.ts).
 */
export class InvalidCursorError extends Error {
  readonly code = 'KEYSMITH_INVALID_CURSOR'
  readonly parameter = 'page_cursor'
  constructor() {
    super('page_cursor is not a cursor returned by this endpoint')
  }
}

/**
 * Keyset pagination over (created_at, id): every page is one index range scan,
 * as fast on page 10,000 as on page 1. The cursor is opaque to clients.
 */
export interface PageRequest {
  limit: number
  pageCursor?: string | null | undefined
}

export interface Page<T> {
  items: T[]
  nextPageCursor: string | null
}

interface Position {
  createdAt: Date
  id: string
}

const encodeCursor = ({ createdAt, id }: Position): string =>
  Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url')

const decodeCursor = (cursor: string): Position => {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    const date = new Date(createdAt)
    if (typeof id === 'string' && isUuid(id) && isStorableTime(date)) {
      return { createdAt: date, id }
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidCursorError()
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Ids that are not UUIDs cannot exist; checking first keeps them away from uuid columns. */
export const isUuid = (value: string): boolean => uuidPattern.test(value)

/** Largest page any list returns, whatever `limit` asks for. */
export const maxPageSize = 1000

export const paginate = async <TB extends keyof DB, O extends { created_at: Date }>(
  query: SelectQueryBuilder<DB, TB, O>,
  table: TB,
  idColumn: keyof O & string,
  page: PageRequest,
): Promise<Page<O>> => {
  const limit = Math.max(1, Math.min(Math.floor(page.limit), maxPageSize))
  const createdAt = sql.ref(`${table}.created_at`)
  const id = sql.ref(`${table}.${idColumn}`)
  let q = query
  if (page.pageCursor) {
    const after = decodeCursor(page.pageCursor)
    q = q.where(sql<boolean>`(${createdAt}, ${id}) > (${after.createdAt}, ${after.id})`)
  }
  const rows = await q
    .orderBy(createdAt)
    .orderBy(id)
    .limit(limit + 1)
    .execute()
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const nextPageCursor =
    rows.length > limit && last
      ? encodeCursor({ createdAt: last.created_at, id: String(last[idColumn]) })
      : null
  return { items, nextPageCursor }
}

// PostgreSQL orders uuids byte by byte: for lowercase ids, the order of their text.
const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The order every list pages in, (created_at, id), for rows sorted in the process. */
export const inPageOrder =
  <O extends { created_at: Date }>(idColumn: keyof O & string) =>
  (a: O, b: O): number =>
    a.created_at.getTime() - b.created_at.getTime() ||
    compareIds(String(a[idColumn]), String(b[idColumn]))

/**
 * `paginate` over rows already in the process, in its order ((created_at, id), as the
 * query that loaded them sorted them): the same pages and the same cursors as the
 * query would give, so a client cannot tell which answered, and a cursor from one
 * works in the other.
 */
export const paginateRows = <O extends { created_at: Date }>(
  sorted: readonly O[],
  idColumn: keyof O & string,
  page: PageRequest,
): Page<O> => {
  const limit = Math.max(1, Math.min(Math.floor(page.limit), maxPageSize))
  let start = 0
  if (page.pageCursor) {
    const after = decodeCursor(page.pageCursor)
    const at = after.createdAt.getTime()
    const afterId = after.id.toLowerCase()
    start = sorted.findIndex((row) => {
      const t = row.created_at.getTime()
      return t > at || (t === at && compareIds(String(row[idColumn]), afterId) > 0)
    })
    if (start === -1) start = sorted.length
  }
  const items = sorted.slice(start, start + limit)
  const last = items.at(-1)
  const nextPageCursor =
    sorted.length > start + limit && last
      ? encodeCursor({ createdAt: last.created_at, id: String(last[idColumn]) })
      : null
  return { items, nextPageCursor }
}
