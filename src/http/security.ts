import {
  type HttpMethod,
  type OperationSecurity,
  operationSecurities,
} from '../contract/openapi.js'

/**
 * Which credentials each endpoint accepts, read from the `security` of its operation
 * in the pinned OpenAPI document at start-up: there is no hand-written list.
 */

/** The kinds of credential Keysmith tells apart in a request. */
export type CredentialKind =
  | 'api_key'
  | 'pat_with_workspace'
  | 'pat_without_workspace'
  | 'client_session'
  | 'customer_client_session'
  | 'publishable_key'
  | 'console_session'

/**
 * The document's security schemes, by the credential a request carries for each.
 * Seam's client-session schemes are all a `seam_cst…` token, but the two "with
 * customer" ones are sessions made for a customer (`customer_key`), which Keysmith
 * does not make: a Keysmith client session reaches only the endpoints listing plain
 * `client_session`. Console sessions are Seam Console's own JWTs. Schemes not named
 * here (bridge and certified clients, internal and support tokens) are not served.
 */
const kindOfScheme: Readonly<Record<string, CredentialKind>> = {
  api_key: 'api_key',
  pat_with_workspace: 'pat_with_workspace',
  pat_without_workspace: 'pat_without_workspace',
  client_session: 'client_session',
  client_session_with_customer: 'customer_client_session',
  client_session_with_customer_ro: 'customer_client_session',
  publishable_key: 'publishable_key',
  console_session_with_workspace: 'console_session',
  console_session_without_workspace: 'console_session',
}

/** The credential kinds Keysmith issues and accepts. */
const servedKinds: ReadonlySet<CredentialKind> = new Set([
  'api_key',
  'pat_with_workspace',
  'pat_without_workspace',
  'client_session',
  'publishable_key',
])

/** The document's security schemes a Keysmith server accepts (for its /openapi.json). */
export const servedSchemes: readonly string[] = Object.entries(kindOfScheme)
  .filter(([, kind]) => servedKinds.has(kind))
  .map(([scheme]) => scheme)

const key = (method: string, path: string): string => `${method.toLowerCase()} ${path}`

export class SecurityTable {
  readonly #kinds = new Map<string, ReadonlySet<CredentialKind>>()

  constructor(operations: readonly OperationSecurity[]) {
    for (const { path, method, requirements } of operations) {
      const kinds = new Set<CredentialKind>()
      for (const requirement of requirements) {
        if (requirement.length !== 1) {
          throw new Error(
            `${method.toUpperCase()} ${path}: a security requirement combining ${requirement.join(' + ')} is not supported`,
          )
        }
        const kind = kindOfScheme[requirement[0] ?? '']
        if (kind) kinds.add(kind)
      }
      this.#kinds.set(key(method, path), kinds)
    }
  }

  /** The credential kinds `method path` accepts; undefined for an operation not in the document. */
  accepted(method: HttpMethod | string, path: string): ReadonlySet<CredentialKind> | undefined {
    return this.#kinds.get(key(method, path))
  }
}

/** The table of the pinned document. */
export const documentSecurityTable = (): SecurityTable => new SecurityTable(operationSecurities())

const labels: Record<CredentialKind, string> = {
  api_key: 'an API key',
  pat_with_workspace: 'a personal access token with the seam-workspace header',
  pat_without_workspace: 'a personal access token without the seam-workspace header',
  client_session: 'a client session token',
  customer_client_session: 'a customer client session token',
  publishable_key: 'a publishable key',
  console_session: 'a console session token',
}

export const describeKind = (kind: CredentialKind): string => labels[kind]

/** "an API key or a personal access token with the seam-workspace header". */
export const describeKinds = (kinds: Iterable<CredentialKind>): string => {
  const list = [...kinds].map(describeKind)
  if (list.length <= 1) return list[0] ?? 'no credential Keysmith serves'
  return `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`
}
