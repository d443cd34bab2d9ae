import { findReachableIds } from '../db/client-sessions.js'
import type { ClientSessionRow, Executor } from '../db/schema.js'
import type { ClientSessionReach, WorkspaceScope } from './context.js'
import { notFound } from './errors.js'

/**
 * The one rule of what a client session reaches (Seam's "a client session sees only
 * what it was granted"). A session is granted user identities and connected accounts
 * (`/client_sessions/create`, `grant_access`). It reaches:
 *
 * - its user identities, their ACS users, those users' credentials, the entrances
 *   those credentials open and the access systems and connected accounts they are in;
 * - for a granted connected account: its access systems whole (every user,
 *   credential and entrance in them).
 *
 * The reach is computed when the request is authenticated (every request: a grant or
 * revocation counts at once) and carried in the request's WorkspaceScope. Domain
 * queries call `reachableIds` (a list filter) or `assertReachable` (a get): a
 * resource outside it is answered as not found, never shown. A scope without `reach`
 * (an API key, a PAT) is unrestricted within its workspace.
 */

export type ReachableKind = Exclude<keyof ClientSessionReach, 'client_session_id'>

export const loadReach = async (
  db: Executor,
  session: Pick<ClientSessionRow, 'client_session_id' | 'workspace_id'> & {
    user_identity_ids: readonly string[]
    connected_account_ids: readonly string[]
  },
): Promise<ClientSessionReach> => {
  const ids = await findReachableIds(
    db,
    session.workspace_id,
    session.user_identity_ids,
    session.connected_account_ids,
  )
  return {
    client_session_id: session.client_session_id,
    user_identity: new Set(ids.user_identity_ids),
    connected_account: new Set(ids.connected_account_ids),
    acs_system: new Set(ids.acs_system_ids),
    acs_user: new Set(ids.acs_user_ids),
    acs_credential: new Set(ids.acs_credential_ids),
    acs_entrance: new Set(ids.acs_entrance_ids),
  }
}

/** For a list query: the only ids it may return, or undefined when unrestricted. */
export const reachableIds = (
  scope: WorkspaceScope,
  kind: ReachableKind,
): readonly string[] | undefined => (scope.reach ? [...scope.reach[kind]] : undefined)

export const isReachable = (scope: WorkspaceScope, kind: ReachableKind, id: string): boolean =>
  !scope.reach || scope.reach[kind].has(id.toLowerCase())

/** For a get: a resource outside the session's reach is not found (its id tells nothing). */
export const assertReachable = (scope: WorkspaceScope, kind: ReachableKind, id: string): void => {
  if (!isReachable(scope, kind, id)) throw notFound(kind, id)
}

/** Keeps the items of a list whose id the session reaches. */
export const keepReachable = <T>(
  scope: WorkspaceScope,
  kind: ReachableKind,
  items: readonly T[],
  idOf: (item: T) => string,
): T[] => (scope.reach ? items.filter((item) => isReachable(scope, kind, idOf(item))) : [...items])

/** Id fields of events and action attempts, by the resource they name. */
const kindOfField: Readonly<Record<string, ReachableKind>> = {
  user_identity_id: 'user_identity',
  connected_account_id: 'connected_account',
  acs_system_id: 'acs_system',
  acs_user_id: 'acs_user',
  acs_credential_id: 'acs_credential',
  acs_entrance_id: 'acs_entrance',
}

/** Fields that name no resource a session could be denied. */
const neutralFields = new Set(['workspace_id', 'event_id', 'action_attempt_id'])

/**
 * Whether a session may see a record naming resources by id (an event's payload, an
 * action attempt's input): it must name at least one resource the session reaches,
 * and every id it names (`…_id` or `…_ids`) must be reachable. An id of a kind no
 * session reaches (an encoder, an Access Grant, a space) hides the record.
 */
export const reachesRecord = (scope: WorkspaceScope, record: Record<string, unknown>): boolean => {
  const reach = scope.reach
  if (!reach) return true
  let names = 0
  for (const [field, value] of Object.entries(record)) {
    if (neutralFields.has(field)) continue
    const single = field.endsWith('_id')
    const plural = field.endsWith('_ids')
    if (!single && !plural) continue
    const kind = kindOfField[single ? field : field.slice(0, -1)]
    const values = single ? [value] : Array.isArray(value) ? value : [value]
    for (const id of values) {
      if (id === null || id === undefined) continue
      if (!kind || typeof id !== 'string' || !reach[kind].has(id.toLowerCase())) return false
      names += 1
    }
  }
  return names > 0
}
