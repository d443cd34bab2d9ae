import { type RawBuilder, sql } from 'kysely'

/** Escapes `%`, `_` and `\` so user text matches literally inside ILIKE. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** The ILIKE pattern for "contains `text`". */
const containsPattern = (text: string): string => `%${escapeLike(text)}%`

/**
 * `search` on a list: the text appears, in any case, in one of these text columns or
 * in the text of one of these id (uuid) columns.
 */
export const containsText = (
  columns: readonly string[],
  text: string,
  idColumns: readonly string[] = [],
): RawBuilder<boolean> => {
  const pattern = containsPattern(text)
  return sql<boolean>`(${sql.join(
    [
      ...columns.map((column) => sql`${sql.ref(column)} ilike ${pattern}`),
      ...idColumns.map((column) => sql`cast(${sql.ref(column)} as text) ilike ${pattern}`),
    ],
    sql` or `,
  )})`
}
