import type { Pagination } from '@seamapi/types/connect'
import { encodeQuery } from '../contract/query.js'

/**
 * Seam's `pagination` object. `next_page_url` is a GET of the same endpoint with the
 * same parameters and the next cursor, whichever method the request used.
 */
export const toPagination = (
  nextPageCursor: string | null,
  url: URL,
  input: object,
): Pagination => {
  if (nextPageCursor === null) {
    return { has_next_page: false, next_page_cursor: null, next_page_url: null }
  }
  const next = new URL(url.pathname, url)
  next.search = encodeQuery({ ...input, page_cursor: nextPageCursor }).toString()
  return { has_next_page: true, next_page_cursor: nextPageCursor, next_page_url: next.toString() }
}
