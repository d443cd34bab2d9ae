import { sql, type Updateable } from 'kysely'
import { isUuid } from './pagination.js'
import type {
  AcsEncoderRow,
  BridgeJobRow,
  BridgeJobsTable,
  BridgeRow,
  BridgesTable,
  Executor,
} from './schema.js'

/** Bridges (agents at a front desk), their readers' encoders, and the jobs sent to them. */

/** Every process listens here: a job was queued or cancelled. */
export const bridgeJobsChannel = 'keysmith_bridge_jobs'
/** Every process listens here: an agent's result was stored. */
export const bridgeResultsChannel = 'keysmith_bridge_results'

export const announce = async (db: Executor, channel: string): Promise<void> => {
  await sql`select pg_notify(${channel}, '')`.execute(db)
}

export const insertBridge = async (
  db: Executor,
  row: Pick<
    BridgeRow,
    | 'bridge_id'
    | 'workspace_id'
    | 'acs_system_id'
    | 'name'
    | 'pairing_code_hash'
    | 'pairing_expires_at'
    | 'created_at'
  >,
): Promise<BridgeRow> =>
  db.insertInto('bridges').values(row).returningAll().executeTakeFirstOrThrow()

export const findBridgeByPairingCode = async (
  db: Executor,
  pairingCodeHash: string,
): Promise<BridgeRow | undefined> =>
  db
    .selectFrom('bridges')
    .selectAll()
    .where('pairing_code_hash', '=', pairingCodeHash)
    .forUpdate()
    .executeTakeFirst()

export const findBridgeByToken = async (
  db: Executor,
  tokenHash: string,
): Promise<BridgeRow | undefined> =>
  db.selectFrom('bridges').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()

export const findBridge = async (db: Executor, bridgeId: string): Promise<BridgeRow | undefined> =>
  isUuid(bridgeId)
    ? db.selectFrom('bridges').selectAll().where('bridge_id', '=', bridgeId).executeTakeFirst()
    : undefined

export const updateBridge = async (
  db: Executor,
  bridgeId: string,
  changes: Updateable<BridgesTable>,
): Promise<void> => {
  await db.updateTable('bridges').set(changes).where('bridge_id', '=', bridgeId).execute()
}

/** Heartbeat of a connection: only while this process still holds it. */
export const touchBridge = async (
  db: Executor,
  bridgeId: string,
  owner: string,
  now: Date,
): Promise<boolean> => {
  const updated = await db
    .updateTable('bridges')
    .set({ last_seen_at: now })
    .where('bridge_id', '=', bridgeId)
    .where('connection_owner', '=', owner)
    .executeTakeFirst()
  return Number(updated.numUpdatedRows) > 0
}

/** A connection closed: marked so only if no newer connection (another process) took over. */
export const markBridgeDisconnected = async (
  db: Executor,
  bridgeId: string,
  owner: string,
  now: Date,
): Promise<void> => {
  await db
    .updateTable('bridges')
    .set({ disconnected_at: now, connection_owner: null })
    .where('bridge_id', '=', bridgeId)
    .where('connection_owner', '=', owner)
    .execute()
}

export const listBridgesOfSystems = async (
  db: Executor,
  acsSystemIds: readonly string[],
): Promise<BridgeRow[]> =>
  acsSystemIds.length === 0
    ? []
    : db
        .selectFrom('bridges')
        .selectAll()
        .where('acs_system_id', 'in', acsSystemIds)
        .where('token_hash', 'is not', null)
        .orderBy('created_at')
        .execute()

export const listBridgeEncoders = async (
  db: Executor,
  bridgeId: string,
): Promise<AcsEncoderRow[]> =>
  db
    .selectFrom('acs_encoders')
    .selectAll()
    .where('bridge_id', '=', bridgeId)
    .orderBy('created_at')
    .execute()

export const insertBridgeJob = async (
  db: Executor,
  row: Omit<BridgeJobRow, 'result' | 'completed_at' | 'cancelled_at' | 'payload'> & {
    payload: string
  },
): Promise<void> => {
  await db.insertInto('bridge_jobs').values(row).execute()
}

export const findBridgeJob = async (
  db: Executor,
  jobId: string,
): Promise<BridgeJobRow | undefined> =>
  db.selectFrom('bridge_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst()

/** The attempt's latest job, if it has one. */
export const latestJobOfAttempt = async (
  db: Executor,
  actionAttemptId: string,
): Promise<BridgeJobRow | undefined> =>
  db
    .selectFrom('bridge_jobs')
    .selectAll()
    .where('action_attempt_id', '=', actionAttemptId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()

/** Stores an agent's result once; false when the job had one already (or is unknown). */
export const storeBridgeJobResult = async (
  db: Executor,
  bridgeId: string,
  jobId: string,
  result: string,
  now: Date,
): Promise<boolean> => {
  const updated = await db
    .updateTable('bridge_jobs')
    .set({ result, completed_at: now })
    .where('job_id', '=', jobId)
    .where('bridge_id', '=', bridgeId)
    .where('completed_at', 'is', null)
    .executeTakeFirst()
  return Number(updated.numUpdatedRows) > 0
}

export const updateBridgeJob = async (
  db: Executor,
  jobId: string,
  changes: Updateable<BridgeJobsTable>,
): Promise<void> => {
  await db.updateTable('bridge_jobs').set(changes).where('job_id', '=', jobId).execute()
}

/** Jobs of these bridges still waiting for a result, oldest first. */
export const listOpenBridgeJobs = async (
  db: Executor,
  bridgeIds: readonly string[],
  since: Date,
): Promise<BridgeJobRow[]> =>
  bridgeIds.length === 0
    ? []
    : db
        .selectFrom('bridge_jobs')
        .selectAll()
        .where('bridge_id', 'in', bridgeIds)
        .where('completed_at', 'is', null)
        .where('created_at', '>', since)
        .orderBy('created_at')
        .limit(1000)
        .execute()
