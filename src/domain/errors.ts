/**
 * Errors the domain raises for callers to see. They carry Seam's error `type`; the
 * HTTP layer only maps their `kind` to a status code.
 */
export type ErrorKind =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unsupported_media_type'
  | 'too_many_requests'

/**
 * `validation_errors` in Seam's shape (zod's `format()`): messages about the input as
 * a whole in `_errors`, each parameter's messages under its name, as the SDK reads them.
 */
export interface ValidationErrors {
  _errors: string[]
  [parameter: string]: string[] | { _errors: string[] }
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly type: string,
    message: string,
    readonly validationErrors?: ValidationErrors,
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

const labels: Record<string, string> = {
  acs_system: 'Access system',
  acs_entrance: 'Entrance',
  acs_user: 'ACS user',
  acs_credential: 'Credential',
  acs_access_group: 'Access group',
  acs_encoder: 'Encoder',
  action_attempt: 'Action attempt',
  event: 'Event',
  workspace: 'Workspace',
  api_key: 'API key',
  connected_account: 'Connected account',
  webhook: 'Webhook',
  user_identity: 'User identity',
  space: 'Space',
  access_grant: 'Access Grant',
  access_method: 'Access method',
}

/** 429: the credential's token bucket is empty; `retryAfterSeconds` goes in Retry-After. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('too_many_requests', 'rate_limited', message)
  }
}

/** 404 with Seam's `<resource>_not_found` type. */
export const notFound = (resource: string, id?: string): DomainError =>
  new DomainError(
    'not_found',
    `${resource}_not_found`,
    `${labels[resource] ?? resource} ${id ? `${id} ` : ''}not found`,
  )

/** 400 `invalid_input`; naming the parameter lets the SDK attach the message to it. */
export const invalidInput = (message: string, parameter?: string): DomainError =>
  new DomainError(
    'invalid_input',
    'invalid_input',
    message,
    parameter ? { _errors: [], [parameter]: { _errors: [message] } } : undefined,
  )

/**
 * Names and keys that are given must say something: the document's resources never
 * carry an empty `full_name` or `user_identity_key`.
 */
export const assertNotEmpty = (values: Record<string, string | null | undefined>): void => {
  for (const [parameter, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value.trim() === '') {
      throw invalidInput(`${parameter} must not be empty`, parameter)
    }
  }
}
