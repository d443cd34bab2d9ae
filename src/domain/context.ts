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

/** The workspace a request acts in (from its API key, or its PAT and seam-workspace). */
export interface WorkspaceScope {
  workspace_id: string
  is_sandbox: boolean
}

/** Who is calling: a workspace's API key, or a user's personal access token. */
export type Principal =
  | { kind: 'api_key'; api_key_id: string; workspace: WorkspaceScope }
  | {
      kind: 'personal_access_token'
      user_id: string
      personal_access_token_id: string
      /** The workspace its seam-workspace header names (the user is a member); none without it. */
      workspace: WorkspaceScope | undefined
    }
