import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'

/** What domain operations need from the running server. Nothing here knows about HTTP. */
export interface DomainContext {
  db: Kysely<DB>
  now(): Date
  settings: {
    /** How long a sandbox encoder takes to encode or scan. */
    sandboxActionDelayMs: number
    /** Age at which a still-pending action attempt expires. */
    actionAttemptTimeoutMs: number
  }
  /** Tells this process's worker that work becomes due at `runAfter`. */
  wakeWorker(runAfter: Date): void
}

/** The workspace a request acts in (from its API key). */
export interface WorkspaceScope {
  workspace_id: string
  is_sandbox: boolean
}
