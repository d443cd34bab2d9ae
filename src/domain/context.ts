import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { ProviderRegistry } from '../providers/index.js'

/** What domain operations need from the running server. Nothing here knows about HTTP. */
export interface DomainContext {
  db: Kysely<DB>
  now(): Date
  /** The access systems' drivers and rules. */
  providers: ProviderRegistry
  settings: {
    /** Age at which an action attempt not yet started expires. */
    actionAttemptTimeoutMs: number
  }
  /** Tells this process's worker that an action attempt was queued. */
  wakeWorker(): void
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
