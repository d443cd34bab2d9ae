import type { Insertable, Updateable } from 'kysely'
import { isUuid, type Page, type PageRequest, paginate } from './pagination.js'
import type {
  AcsCardRow,
  AcsCardsTable,
  AcsEncoderRow,
  AcsEncodersTable,
  Executor,
} from './schema.js'

export const insertAcsEncoders = async (
  db: Executor,
  rows: Insertable<AcsEncodersTable>[],
): Promise<void> => {
  if (rows.length > 0) await db.insertInto('acs_encoders').values(rows).execute()
}

export const findAcsEncoder = async (
  db: Executor,
  workspaceId: string,
  acsEncoderId: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsEncoderRow | undefined> => {
  if (!isUuid(acsEncoderId)) return undefined
  let query = db
    .selectFrom('acs_encoders')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('acs_encoder_id', '=', acsEncoderId)
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

export interface AcsEncoderFilters {
  acs_system_ids?: string[] | undefined
  acs_encoder_ids?: string[] | undefined
}

export const listAcsEncoders = async (
  db: Executor,
  workspaceId: string,
  filters: AcsEncoderFilters,
  page: PageRequest,
): Promise<Page<AcsEncoderRow>> => {
  let query = db.selectFrom('acs_encoders').selectAll().where('workspace_id', '=', workspaceId)
  for (const [column, values] of [
    ['acs_system_id', filters.acs_system_ids],
    ['acs_encoder_id', filters.acs_encoder_ids],
  ] as const) {
    if (values === undefined) continue
    const ids = values.filter(isUuid)
    if (ids.length === 0) return { items: [], nextPageCursor: null }
    query = query.where(column, 'in', ids)
  }
  return paginate(query, 'acs_encoders', 'acs_encoder_id', page)
}

/** `listAcsEncoders`'s filters as a test of one row, for encoders kept in the process. */
export const encoderFilterInProcess = (
  filters: AcsEncoderFilters,
): ((row: AcsEncoderRow) => boolean) => {
  const idSet = (values: string[] | undefined) =>
    values && new Set(values.filter(isUuid).map((id) => id.toLowerCase()))
  const systems = idSet(filters.acs_system_ids)
  const encoders = idSet(filters.acs_encoder_ids)
  return (row) =>
    (systems === undefined || systems.has(row.acs_system_id)) &&
    (encoders === undefined || encoders.has(row.acs_encoder_id))
}

/**
 * Every encoder of a workspace in page order, or null when it has more than `atMost`
 * (too many to keep in the process).
 */
export const listAllAcsEncoders = async (
  db: Executor,
  workspaceId: string,
  atMost: number,
): Promise<AcsEncoderRow[] | null> => {
  const rows = await db
    .selectFrom('acs_encoders')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('acs_encoder_id')
    .limit(atMost + 1)
    .execute()
  return rows.length > atMost ? null : rows
}

export const updateAcsEncoder = async (
  db: Executor,
  acsEncoderId: string,
  changes: Updateable<AcsEncodersTable>,
): Promise<void> => {
  await db
    .updateTable('acs_encoders')
    .set(changes)
    .where('acs_encoder_id', '=', acsEncoderId)
    .execute()
}

export const findAcsCard = async (
  db: Executor,
  acsCardId: string,
): Promise<AcsCardRow | undefined> =>
  db.selectFrom('acs_cards').selectAll().where('acs_card_id', '=', acsCardId).executeTakeFirst()

export const insertAcsCard = async (
  db: Executor,
  row: Insertable<AcsCardsTable>,
): Promise<AcsCardRow> =>
  db.insertInto('acs_cards').values(row).returningAll().executeTakeFirstOrThrow()

export const updateAcsCard = async (
  db: Executor,
  acsCardId: string,
  changes: Updateable<AcsCardsTable>,
): Promise<void> => {
  await db.updateTable('acs_cards').set(changes).where('acs_card_id', '=', acsCardId).execute()
}

/** The card of an access system with this number, oldest first if several were seen. */
export const findAcsCardByNumber = async (
  db: Executor,
  acsSystemId: string,
  cardNumber: string,
  options: { forUpdate?: boolean } = {},
): Promise<AcsCardRow | undefined> => {
  let query = db
    .selectFrom('acs_cards')
    .selectAll()
    .where('acs_system_id', '=', acsSystemId)
    .where('card_number', '=', cardNumber)
    .orderBy('created_at')
    .orderBy('acs_card_id')
  if (options.forUpdate) query = query.forUpdate()
  return query.executeTakeFirst()
}

/** The card a credential was most recently written onto. */
export const findCardOfCredential = async (
  db: Executor,
  acsCredentialId: string,
): Promise<AcsCardRow | undefined> =>
  db
    .selectFrom('acs_cards')
    .selectAll()
    .where('acs_credential_id', '=', acsCredentialId)
    .orderBy('updated_at', 'desc')
    .executeTakeFirst()
