/**
 * The console's only way to the server: the public API, as any app calls it (POST
 * with a JSON body and `Authorization: Bearer <API key>`). The types below are the
 * parts of Seam's resources the console reads; the server answers the full shapes.
 */

const keyName = 'keysmith.console.apiKey'

/** The API key lives in this tab's session storage only: closing the tab signs out. */
export const storedKey = (): string | null => sessionStorage.getItem(keyName)
export const storeKey = (key: string): void => sessionStorage.setItem(keyName, key)
export const forgetKey = (): void => sessionStorage.removeItem(keyName)

/** Dispatched on `window` when the server refuses the signed-in key; `detail` is its message. */
export const unauthorizedEvent = 'keysmith:unauthorized'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message)
  }
}

type Json = Record<string, unknown>

export const call = async <T>(path: string, body: Json = {}, key = storedKey()): Promise<T> => {
  let response: Response
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key ?? ''}` },
      body: JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Is Keysmith running?')
  }
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ApiError(
      response.status,
      'unexpected_response',
      `The server answered ${response.status}`,
    )
  }
  if (!response.ok) {
    const error = (parsed as { error?: { type?: string; message?: string } }).error
    // The signed-in key stopped working (revoked, or the workspace is gone): the app
    // signs the tab out, whichever page made the call.
    if (response.status === 401 && key !== null && key === storedKey()) {
      window.dispatchEvent(
        new CustomEvent(unauthorizedEvent, { detail: error?.message ?? 'unauthorized' }),
      )
    }
    throw new ApiError(
      response.status,
      error?.type ?? 'unknown_error',
      error?.message ?? `The server answered ${response.status}`,
    )
  }
  return parsed as T
}

export interface Workspace {
  workspace_id: string
  name: string
  is_sandbox: boolean
}

export interface AcsSystem {
  acs_system_id: string
  name: string
  external_type_display_name?: string
}

export interface ResourceError {
  error_code: string
  message: string
}

export interface Warning {
  warning_code: string
  message?: string
  warning_message?: string
}

export interface AcsEncoder {
  acs_encoder_id: string
  acs_system_id: string
  display_name: string
  errors: ResourceError[]
}

export interface AcsEntrance {
  acs_entrance_id: string
  acs_system_id: string
  display_name: string
}

export interface UserIdentity {
  user_identity_id: string
  full_name: string | null
  email_address: string | null
}

export interface AccessGrant {
  access_grant_id: string
  user_identity_id: string
  display_name: string
  starts_at: string | null
  ends_at: string | null
  access_method_ids: string[]
  warnings: Warning[]
}

export interface AccessMethod {
  access_method_id: string
  display_name: string
  mode: string
  is_issued: boolean
  issued_at: string | null
  is_encoding_required?: boolean
  is_ready_for_encoding?: boolean
  warnings: Warning[]
}

export interface AcsCredential {
  acs_credential_id: string
  acs_user_id?: string
  acs_system_id: string
  display_name: string
  access_method: string
  card_number?: string | null
  code?: string | null
  is_issued?: boolean
  issued_at?: string | null
  starts_at?: string | null
  ends_at?: string | null
  warnings: Warning[]
}

export interface ScanResult {
  acs_credential_on_encoder: AcsCredential | null
  acs_credential_on_seam: AcsCredential | null
  warnings: Warning[]
}

export interface ActionAttempt {
  action_attempt_id: string
  action_type: string
  status: 'pending' | 'success' | 'error'
  result: unknown
  error: { type: string; message: string } | null
}

export interface SeamEvent {
  event_id: string
  event_type: string
  occurred_at: string
  [key: string]: unknown
}

export interface Webhook {
  webhook_id: string
  url: string
  event_types?: string[]
  secret?: string
}

/** Polls an action attempt until it leaves `pending` (or `timeoutMs` passes). */
export const waitForAttempt = async (
  attempt: ActionAttempt,
  onPending: (attempt: ActionAttempt) => void,
  { intervalMs = 250, timeoutMs = 90_000 } = {},
): Promise<ActionAttempt> => {
  const deadline = Date.now() + timeoutMs
  let current = attempt
  while (current.status === 'pending') {
    onPending(current)
    if (Date.now() > deadline) {
      throw new ApiError(0, 'console_gave_up', 'The encoder has not answered yet; try again later')
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
    current = (
      await call<{ action_attempt: ActionAttempt }>('/action_attempts/get', {
        action_attempt_id: current.action_attempt_id,
      })
    ).action_attempt
  }
  return current
}
