import { type RawBuilder, sql } from 'kysely'

/** Escapes `%`, `_` and `\` so user text matches literally inside ILIKE. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** `search` on a list: the text appears, in any case, in one of these columns. */
export const containsText = (columns: readonly string[], text: string): RawBuilder<boolean> => {
  const pattern = `%${escapeLike(text)}%`
  return sql<boolean>`(${sql.join(
    columns.map((column) => sql`${sql.ref(column)} ilike ${pattern}`),
    sql` or `,
  )})`
}
