import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import type { ProviderRegistry } from '../providers/index.js'
import type { AuthCache } from './auth-cache.js'
import type { CatalogCache } from './catalog-cache.js'

/** What domain operations need from the running server. Nothing here knows about HTTP. */
export interface DomainContext {
  db: Kysely<DB>
  now(): Date
  /** The access systems' drivers and rules. */
  providers: ProviderRegistry
  settings: {
    /** Age at which an action attempt not yet started expires. */
    actionAttemptTimeoutMs: number
    /** Token bucket per credential (see rate-limit.ts); none: unlimited. */
    rateLimit?: { rate: number; burst: number } | undefined
    /** A bridge not heard of for this long is offline (see bridges.ts). */
    bridgeStaleMs?: number | undefined
  }
  /** Credential lookups kept in the process (see auth-cache.ts); none: every request looks up. */
  authCache?: AuthCache | undefined
  /** Access system rows kept in the process (see catalog-cache.ts); none: every read queries. */
  catalogCache?: CatalogCache | undefined
  /**
   * Takes an access system's next number outside the caller's transaction (the
   * database's `allocateNumber`); none: take it inside, from the system's row.
   */
  allocateNumber?: ((acsSystemId: string) => Promise<number>) | undefined
  /** Tells this process's worker that an action attempt was queued. */
  wakeWorker(): void
}

/** The workspace a request acts in (from its API key, or its PAT and seam-workspace). */
export interface WorkspaceScope {
  workspace_id: string
  is_sandbox: boolean
  /**
   * Set for a client session: the only resources the request may see or touch.
   * The rule is in client-session-scope.ts; list and get queries apply it.
   */
  reach?: ClientSessionReach | undefined
}

/** What a client session reaches, id sets per resource (see client-session-scope.ts). */
export interface ClientSessionReach {
  client_session_id: string
  user_identity: ReadonlySet<string>
  connected_account: ReadonlySet<string>
  acs_system: ReadonlySet<string>
  acs_user: ReadonlySet<string>
  acs_credential: ReadonlySet<string>
  acs_entrance: ReadonlySet<string>
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
  /** A browser's publishable key: it may only make or find client sessions. */
  | { kind: 'publishable_key'; publishable_key_id: string; workspace: WorkspaceScope }
  /** A client session token: its scope carries what the session reaches. */
  | {
      kind: 'client_session'
      client_session_id: string
      workspace: WorkspaceScope & { reach: ClientSessionReach }
    }
