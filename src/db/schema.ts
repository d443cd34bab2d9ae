import type { ColumnType, Kysely, Selectable } from 'kysely'

/** A jsonb column: read as the parsed value, written as JSON text (see `json()`). */
export type Json<T> = ColumnType<T, string, string>

/** Serialises a value for a jsonb column, identically on PGlite and node-postgres. */
export const json = <T>(value: T): string => JSON.stringify(value)

export interface WorkspacesTable {
  workspace_id: string
  name: string
  company_name: string
  is_sandbox: boolean
  /** The workspace's Connect Webview settings, in API shape. */
  connect_webview_customization: ColumnType<WebviewCustomization, string | undefined, string>
  is_suspended: ColumnType<boolean, boolean | undefined, boolean>
  is_publishable_key_auth_enabled: ColumnType<boolean, boolean | undefined, boolean>
  created_at: Date
}

export interface WebviewCustomization {
  primary_button_color?: string
  primary_button_text_color?: string
  success_message?: string
  logo_shape?: 'circle' | 'square'
  inviter_logo_url?: string
}

export interface ApiKeysTable {
  api_key_id: string
  workspace_id: string
  name: string
  /** sha256 of the whole token; the token itself is never stored. */
  token_hash: string
  created_at: Date
  /** Set when revoked: the key stops working at once. */
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface UsersTable {
  user_id: string
  /** Stored in lowercase; unique. */
  email: string
  created_at: Date
}

export interface WorkspaceMembersTable {
  workspace_id: string
  user_id: string
  created_at: Date
}

export interface PersonalAccessTokensTable {
  personal_access_token_id: string
  user_id: string
  name: string
  /** sha256 of the whole token; the token itself is never stored. */
  token_hash: string
  created_at: Date
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface ConnectedAccountsTable {
  connected_account_id: string
  workspace_id: string
  account_type: string
  account_type_display_name: string
  display_name: string
  automatically_manage_new_devices: ColumnType<boolean, boolean | undefined, boolean>
  custom_metadata: ColumnType<Record<string, string | boolean>, string | undefined, string>
  accepted_capabilities: ColumnType<string[], string | undefined, string>
  created_at: Date
}

export interface ServerSecretsTable {
  name: string
  value: string
}

export interface PublishableKeysTable {
  publishable_key_id: string
  workspace_id: string
  name: string
  /** sha256 of the whole key; the key itself is never stored. */
  key_hash: string
  created_at: Date
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface ClientSessionsTable {
  client_session_id: string
  workspace_id: string
  /** sha256 of the token (an HMAC of the id, see migration 0008); the token is never stored. */
  token_hash: string
  user_identifier_key: string | null
  /** What the session was granted (grant_access adds to these). */
  user_identity_ids: ColumnType<string[], string | undefined, string>
  connected_account_ids: ColumnType<string[], string | undefined, string>
  /** The publishable key a browser made it with, if it was. */
  publishable_key_id: string | null
  created_at: Date
  expires_at: Date
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

/** One token bucket per credential, shared by every process on the database. */
export interface RateLimitBucketsTable {
  credential_key: string
  tokens: number
  updated_at: Date
}

export interface AcsSystemsTable {
  acs_system_id: string
  workspace_id: string
  connected_account_id: string
  name: string
  external_type: string
  external_type_display_name: string
  time_zone: string | null
  /** The access system provider's data, keyed by provider (see providers/). */
  provider_data: ColumnType<ProviderData, string | undefined, string>
  /** Counter for the access system's own small numeric ids (e.g. card and credential ids). */
  last_external_number: ColumnType<number, number | undefined, number>
  created_at: Date
}

export interface AcsEntrancesTable {
  acs_entrance_id: string
  workspace_id: string
  connected_account_id: string
  acs_system_id: string
  display_name: string
  /** Provider door kind, e.g. a hotel system's `guest` or `common`. */
  door_category: string | null
  /** Provider metadata keyed as on the API resource, e.g. `{ <brand>_metadata: {...} }`. */
  provider_metadata: Json<Record<string, unknown>>
  can_unlock_with_card: boolean
  can_unlock_with_code: boolean
  can_unlock_with_mobile_key: boolean
  /** The access system provider's data of the door (e.g. its door number), keyed by provider. */
  provider_data: ColumnType<ProviderData, string | undefined, string>
  created_at: Date
}

export interface AcsUsersTable {
  acs_user_id: string
  workspace_id: string
  connected_account_id: string
  acs_system_id: string
  full_name: string | null
  email_address: string | null
  phone_number: string | null
  access_starts_at: Date | null
  access_ends_at: Date | null
  is_suspended: ColumnType<boolean, boolean | undefined, boolean>
  user_identity_id: string | null
  created_at: Date
  updated_at: Date
}

/**
 * Data an access system's provider keeps on a row, keyed by provider:
 * `{ "<provider key>": {...} }`. Only that provider reads its entry (see providers/).
 */
export type ProviderData = Record<string, unknown>

export interface AcsCredentialsTable {
  acs_credential_id: string
  workspace_id: string
  connected_account_id: string
  acs_system_id: string
  acs_user_id: string | null
  access_method: string
  code: string | null
  starts_at: Date | null
  ends_at: Date | null
  is_multi_phone_sync_credential: boolean
  provider_data: ColumnType<ProviderData, string | undefined, string>
  card_number: string | null
  is_issued: ColumnType<boolean, boolean | undefined, boolean>
  issued_at: Date | null
  /** Set when an issued card no longer matches the credential and must be encoded again. */
  reissue_required_at: Date | null
  created_at: Date
  updated_at: Date
}

export interface AcsAccessGroupsTable {
  acs_access_group_id: string
  workspace_id: string
  acs_system_id: string
  connected_account_id: string
  name: string
  /** The access system provider's data of the group, keyed by provider. */
  provider_data: ColumnType<ProviderData, string | undefined, string>
  created_at: Date
}

export interface AcsAccessGroupEntrancesTable {
  acs_access_group_id: string
  acs_entrance_id: string
}

export interface AcsAccessGroupUsersTable {
  acs_access_group_id: string
  acs_user_id: string
  created_at: Date
}

/** An entrance granted to an ACS user directly (`/acs/entrances/grant_access`). */
export interface AcsUserEntrancesTable {
  acs_user_id: string
  acs_entrance_id: string
  created_at: Date
}

export interface AcsCredentialEntrancesTable {
  acs_credential_id: string
  acs_entrance_id: string
}

/**
 * What was written onto a physical card. Its fields beyond the credential's id are the
 * access system's own (its provider and driver write and read them).
 */
export type CardContents = { acs_credential_id: string } & { [field: string]: unknown }

export interface AcsCardsTable {
  acs_card_id: string
  workspace_id: string
  acs_system_id: string
  card_number: string
  /** Its technology (see CardFormat in providers/types.ts). */
  card_format: 'TLCode' | 'rfid48' | 'nfc_type2' | 'mifare_desfire'
  /** The credential written on the card (a copy of `contents.acs_credential_id`, indexed). */
  acs_credential_id: string | null
  /** Null for a blank card. */
  contents: Json<CardContents | null>
  created_at: Date
  updated_at: Date
}

export interface AcsEncodersTable {
  acs_encoder_id: string
  workspace_id: string
  connected_account_id: string
  acs_system_id: string
  display_name: string
  /** The card lying on the encoder, if any. */
  acs_card_id: string | null
  /** Sandbox-only state: what the simulate endpoints set for the next encoding or scan. */
  sandbox_state: ColumnType<SandboxEncoderState, string | undefined, string>
  /** For a reader at a front desk: the bridge it hangs off and its name there. */
  bridge_id: ColumnType<string | null, string | null | undefined, string | null>
  reader_name: ColumnType<string | null, string | null | undefined, string | null>
  /** Set while its reader is gone (unplugged); the encoder then shows `acs_encoder_removed`. */
  removed_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  created_at: Date
}

/** See domain/sandbox-simulations.ts. */
export interface SandboxEncoderState {
  next_encode?: Record<string, unknown>
  next_scan?: Record<string, unknown>
}

export type ActionAttemptStatus = 'pending' | 'success' | 'error'

export interface ActionAttemptsTable {
  action_attempt_id: string
  workspace_id: string
  action_type: string
  status: ActionAttemptStatus
  input: Json<Record<string, unknown>>
  result: Json<unknown>
  error: Json<{ type: string; message: string } | null>
  /** Earliest time a worker may run it. */
  run_after: Date
  /** A still-pending attempt not started by this time ends as `action_attempt_expired`. */
  expires_at: Date
  /** Attempts of one queue (an encoder) run one at a time, oldest first; null: no queue. */
  queue_key: string | null
  /** The process running it, for operators. */
  lease_owner: string | null
  /** Changes with every claim: only the holder of the current token may apply a result. */
  lease_token: string | null
  /** The running process renews this; once past, another process may take the attempt up. */
  lease_expires_at: Date | null
  started_at: Date | null
  /** How many times a process has started it (more than 1: it was recovered). */
  run_count: ColumnType<number, number | undefined, number>
  created_at: Date
  updated_at: Date
  completed_at: Date | null
}

export interface EventsTable {
  event_id: string
  /** Insertion order: events of one transaction share created_at. */
  seq: ColumnType<string | number | bigint, never, never>
  workspace_id: string
  event_type: string
  /** The whole event object as the API returns it. */
  payload: Json<Record<string, unknown>>
  occurred_at: Date
  created_at: Date
}

export interface UserIdentitiesTable {
  user_identity_id: string
  workspace_id: string
  user_identity_key: string | null
  full_name: string | null
  email_address: string | null
  phone_number: string | null
  created_at: Date
  updated_at: Date
}

export interface SpacesTable {
  space_id: string
  workspace_id: string
  name: string
  space_key: string | null
  customer_data: Json<Record<string, string | null> | null>
  created_at: Date
  updated_at: Date
}

export interface SpaceEntrancesTable {
  space_id: string
  acs_entrance_id: string
}

export type AccessMode = 'code' | 'card' | 'mobile_key' | 'cloud_key'

/** One entry of an Access Grant's `requested_access_methods`, as stored. */
export interface RequestedAccessMethod {
  mode: AccessMode
  code?: string
  display_name: string
  created_at: string
  created_access_method_ids: string[]
  /**
   * Access systems where the request's access method was deleted through
   * `/access_methods/delete`: revoked on purpose, so not created there again.
   * Internal; not part of the API resource.
   */
  revoked_acs_system_ids?: string[]
}

/** A warning of an Access Grant, stored in API shape. */
export interface GrantWarning {
  warning_code: 'underprovisioned_access'
  message: string
  created_at: string
}

/** An error of an Access Grant, stored in API shape. */
export interface GrantError {
  error_code: 'cannot_create_requested_access_methods'
  message: string
  created_at: string
}

export interface AccessGrantsTable {
  access_grant_id: string
  workspace_id: string
  user_identity_id: string
  access_grant_key: string | null
  reservation_key: string | null
  name: string | null
  starts_at: Date
  ends_at: Date | null
  requested_access_methods: Json<RequestedAccessMethod[]>
  warnings: Json<GrantWarning[]>
  errors: Json<GrantError[]>
  created_at: Date
  updated_at: Date
}

export interface AccessGrantEntrancesTable {
  access_grant_id: string
  acs_entrance_id: string
}

export interface AccessGrantSpacesTable {
  access_grant_id: string
  space_id: string
}

export interface AccessMethodsTable {
  access_method_id: string
  workspace_id: string
  access_grant_id: string
  /** The access system the method lives in; its credential is there. */
  acs_system_id: string
  acs_credential_id: string | null
  mode: AccessMode
  display_name: string
  is_issued: boolean
  issued_at: Date | null
  /** Set while a card must be encoded (first time or again after a change). */
  encoding_required_since: Date | null
  created_at: Date
  updated_at: Date
}

export interface WebhooksTable {
  webhook_id: string
  workspace_id: string
  url: string
  /** Event types to deliver; ['*'] for all. */
  event_types: Json<string[]>
  /** `whsec_…`: deliveries are signed with it, so it is kept (not hashed). */
  secret: string
  created_at: Date
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface WebhookDeliveriesTable {
  /** Sent as `webhook-id`: the same for every try of one delivery. */
  delivery_id: string
  webhook_id: string
  event_id: string
  status: DeliveryStatus
  attempt_count: ColumnType<number, number | undefined, number>
  next_attempt_at: Date
  /** While set and in the future, one process is sending it. */
  lease_until: Date | null
  lease_token: string | null
  created_at: Date
  finished_at: Date | null
}

export interface WebhookDeliveryAttemptsTable {
  delivery_id: string
  attempt_number: number
  attempted_at: Date
  duration_ms: number
  /** The receiver's HTTP status, or null when no answer came. */
  status_code: number | null
  error: string | null
}

/** A system's secret, sealed (see db/secrets.ts); never returned by any API. */
export interface AcsSystemSecretsTable {
  acs_system_id: string
  sealed: string
  created_at: Date
}

export interface BridgesTable {
  bridge_id: string
  workspace_id: string
  acs_system_id: string
  name: string
  /** sha256 of the one-time pairing code, until it is used. */
  pairing_code_hash: string | null
  pairing_expires_at: Date | null
  /** sha256 of the bridge token; the token itself is never stored. */
  token_hash: string | null
  paired_at: Date | null
  agent_version: string | null
  driver: string | null
  /** The process holding the agent's WebSocket, for operators. */
  connection_owner: string | null
  connected_at: Date | null
  disconnected_at: Date | null
  /** Written at every heartbeat by the process holding the connection. */
  last_seen_at: Date | null
  created_at: Date
}

export type BridgeOperation = 'encode' | 'scan'

export interface BridgeJobsTable {
  /** The job's id, as the agent knows it. */
  job_id: string
  /** The action attempt it is for: an attempt taken up again finds its job and result. */
  action_attempt_id: string
  bridge_id: string
  acs_encoder_id: string
  reader_name: string
  operation: BridgeOperation
  /** What the agent needs: for an encode, the bytes to write (base64). */
  payload: Json<{ memory?: string }>
  /** The agent's result, stored once. */
  result: ColumnType<Record<string, unknown> | null, string | undefined, string>
  created_at: Date
  completed_at: Date | null
  cancelled_at: Date | null
}

export interface DB {
  workspaces: WorkspacesTable
  api_keys: ApiKeysTable
  users: UsersTable
  workspace_members: WorkspaceMembersTable
  personal_access_tokens: PersonalAccessTokensTable
  connected_accounts: ConnectedAccountsTable
  acs_systems: AcsSystemsTable
  acs_entrances: AcsEntrancesTable
  acs_users: AcsUsersTable
  acs_credentials: AcsCredentialsTable
  acs_credential_entrances: AcsCredentialEntrancesTable
  acs_cards: AcsCardsTable
  acs_encoders: AcsEncodersTable
  action_attempts: ActionAttemptsTable
  events: EventsTable
  user_identities: UserIdentitiesTable
  spaces: SpacesTable
  space_entrances: SpaceEntrancesTable
  access_grants: AccessGrantsTable
  access_grant_entrances: AccessGrantEntrancesTable
  access_grant_spaces: AccessGrantSpacesTable
  access_methods: AccessMethodsTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable
  server_secrets: ServerSecretsTable
  publishable_keys: PublishableKeysTable
  client_sessions: ClientSessionsTable
  rate_limit_buckets: RateLimitBucketsTable
  acs_system_secrets: AcsSystemSecretsTable
  bridges: BridgesTable
  bridge_jobs: BridgeJobsTable
  acs_access_groups: AcsAccessGroupsTable
  acs_access_group_entrances: AcsAccessGroupEntrancesTable
  acs_access_group_users: AcsAccessGroupUsersTable
  acs_user_entrances: AcsUserEntrancesTable
}

/** A connection or an open transaction: repositories accept either. */
export type Executor = Kysely<DB>

export type WorkspaceRow = Selectable<WorkspacesTable>
export type ApiKeyRow = Selectable<ApiKeysTable>
export type UserRow = Selectable<UsersTable>
export type PersonalAccessTokenRow = Selectable<PersonalAccessTokensTable>
export type AcsSystemRow = Selectable<AcsSystemsTable>
export type AcsEntranceRow = Selectable<AcsEntrancesTable>
export type AcsUserRow = Selectable<AcsUsersTable>
export type AcsCredentialRow = Selectable<AcsCredentialsTable>
export type AcsCardRow = Selectable<AcsCardsTable>
export type AcsAccessGroupRow = Selectable<AcsAccessGroupsTable>
export type AcsEncoderRow = Selectable<AcsEncodersTable>
export type ActionAttemptRow = Selectable<ActionAttemptsTable>
export type EventRow = Selectable<EventsTable>
export type UserIdentityRow = Selectable<UserIdentitiesTable>
export type SpaceRow = Selectable<SpacesTable>
export type AccessGrantRow = Selectable<AccessGrantsTable>
export type AccessMethodRow = Selectable<AccessMethodsTable>
export type WebhookRow = Selectable<WebhooksTable>
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>
export type ConnectedAccountRow = Selectable<ConnectedAccountsTable>
export type PublishableKeyRow = Selectable<PublishableKeysTable>
export type ClientSessionRow = Selectable<ClientSessionsTable>
export type BridgeRow = Selectable<BridgesTable>
export type BridgeJobRow = Selectable<BridgeJobsTable>
export type WebhookDeliveryAttemptRow = Selectable<WebhookDeliveryAttemptsTable>
