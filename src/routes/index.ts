import type { RouteDefinition } from '../http/route.js'
import { accessGrantRoutes } from './access-grants.js'
import { accessMethodRoutes } from './access-methods.js'
import { acsAccessGroupRoutes } from './acs/access-groups.js'
import { acsCredentialRoutes } from './acs/credentials.js'
import { acsEncoderRoutes } from './acs/encoders.js'
import { acsEntranceRoutes } from './acs/entrances.js'
import { acsSystemRoutes } from './acs/systems.js'
import { acsUserRoutes } from './acs/users.js'
import { actionAttemptRoutes } from './action-attempts.js'
import { clientSessionRoutes } from './client-sessions.js'
import { connectedAccountRoutes } from './connected-accounts.js'
import { eventRoutes } from './events.js'
import { spaceRoutes } from './spaces.js'
import { userIdentityRoutes } from './user-identities.js'
import { webhookRoutes } from './webhooks.js'
import { workspaceRoutes } from './workspaces.js'

/** Every endpoint Keysmith serves. One module per API resource; the URL names the file. */
export const routes: RouteDefinition[] = [
  ...acsSystemRoutes,
  ...acsEntranceRoutes,
  ...acsUserRoutes,
  ...acsCredentialRoutes,
  ...acsAccessGroupRoutes,
  ...acsEncoderRoutes,
  ...actionAttemptRoutes,
  ...eventRoutes,
  ...workspaceRoutes,
  ...userIdentityRoutes,
  ...spaceRoutes,
  ...accessGrantRoutes,
  ...accessMethodRoutes,
  ...webhookRoutes,
  ...clientSessionRoutes,
  ...connectedAccountRoutes,
]
