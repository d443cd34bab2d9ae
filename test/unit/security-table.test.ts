import assert from 'node:assert/strict'
import { test } from 'node:test'
import { operationSecurities } from '../../src/contract/openapi.js'
import { identifyCredential } from '../../src/http/auth.js'
import {
  type CredentialKind,
  describeKinds,
  documentSecurityTable,
  SecurityTable,
} from '../../src/http/security.js'
import { routes } from '../../src/routes/index.js'

const kinds = (set: ReadonlySet<CredentialKind> | undefined) => [...(set ?? [])].sort()

test('the table is what each operation security lists, mapped to credential kinds', () => {
  const table = new SecurityTable([
    { path: '/a', method: 'post', requirements: [['api_key'], ['pat_with_workspace']] },
    { path: '/a', method: 'get', requirements: [['api_key']] },
    {
      path: '/b',
      method: 'post',
      requirements: [['client_session_with_customer_ro'], ['console_session_without_workspace']],
    },
    { path: '/c', method: 'post', requirements: [['bridge_client_session']] },
    { path: '/d', method: 'post', requirements: [] },
  ])
  assert.deepEqual(kinds(table.accepted('post', '/a')), ['api_key', 'pat_with_workspace'])
  assert.deepEqual(kinds(table.accepted('GET', '/a')), ['api_key'])
  // Customer client sessions are told apart from plain ones (Keysmith makes only those).
  assert.deepEqual(kinds(table.accepted('post', '/b')), [
    'console_session',
    'customer_client_session',
  ])
  // Schemes Keysmith does not serve, and no security at all, accept nothing.
  assert.deepEqual(kinds(table.accepted('post', '/c')), [])
  assert.deepEqual(kinds(table.accepted('post', '/d')), [])
  assert.equal(table.accepted('post', '/unknown'), undefined)
  assert.equal(table.accepted('delete', '/a'), undefined)
})

test('a requirement combining schemes is refused at start-up, not misread', () => {
  assert.throws(
    () =>
      new SecurityTable([
        { path: '/x', method: 'post', requirements: [['pat_with_workspace', 'seam_workspace']] },
      ]),
    /combining pat_with_workspace \+ seam_workspace/,
  )
})

test('the pinned document: PATs without workspace create and list workspaces only', () => {
  const table = documentSecurityTable()
  assert.deepEqual(kinds(table.accepted('post', '/workspaces/create')), [
    'console_session',
    'pat_without_workspace',
  ])
  assert.deepEqual(kinds(table.accepted('get', '/workspaces/list')), [
    'api_key',
    'client_session',
    'console_session',
    'pat_with_workspace',
    'pat_without_workspace',
  ])
  assert.deepEqual(kinds(table.accepted('patch', '/workspaces/update')), [
    'api_key',
    'console_session',
    'pat_with_workspace',
  ])
  assert.deepEqual(kinds(table.accepted('post', '/acs/encoders/encode_credential')), [
    'api_key',
    'console_session',
    'customer_client_session',
    'pat_with_workspace',
  ])
  assert.deepEqual(kinds(table.accepted('post', '/client_sessions/get_or_create')), [
    'api_key',
    'console_session',
    'pat_with_workspace',
    'publishable_key',
  ])
  assert.deepEqual(kinds(table.accepted('post', '/acs/users/create')), [
    'api_key',
    'console_session',
    'pat_with_workspace',
  ])
  const withoutWorkspace = operationSecurities()
    .filter((o) => table.accepted(o.method, o.path)?.has('pat_without_workspace'))
    .map((o) => o.path)
  assert.deepEqual([...new Set(withoutWorkspace)].sort(), [
    '/workspaces/create',
    '/workspaces/list',
  ])
})

test('every served endpoint is in the table; only account routes answer without a workspace', () => {
  const table = documentSecurityTable()
  for (const route of routes) {
    const accepted = operationSecurities()
      .filter((o) => o.path === route.path)
      .map((o) => table.accepted(o.method, o.path))
    assert.ok(accepted.length > 0, route.path)
    for (const set of accepted) {
      assert.ok(set, route.path)
      // A route that takes a PAT without workspace must be declared for it.
      assert.equal(
        set.has('pat_without_workspace'),
        route.workspace === 'optional',
        `${route.path}: pat_without_workspace vs ${route.workspace}`,
      )
      if (route.path !== '/workspaces/create') {
        assert.ok(set.has('api_key') && set.has('pat_with_workspace'), route.path)
      }
    }
  }
})

test('credentials are told apart by the headers the official SDK sends', () => {
  const id = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'
  assert.equal(identifyCredential({ authorization: 'Bearer seam_ks_abc' }).kind, 'api_key')
  assert.deepEqual(
    identifyCredential({ authorization: 'Bearer seam_at1_abc', 'seam-workspace': id }),
    {
      kind: 'pat_with_workspace',
      token: 'seam_at1_abc',
      workspaceId: id,
    },
  )
  assert.equal(
    identifyCredential({ authorization: 'Bearer seam_at1_abc' }).kind,
    'pat_without_workspace',
  )
  // What SeamHttp.fromClientSessionToken sends: the token as bearer and in its own header.
  assert.deepEqual(
    identifyCredential({
      authorization: 'Bearer seam_cst1_abc',
      'client-session-token': 'seam_cst1_abc',
    }),
    { kind: 'client_session', token: 'seam_cst1_abc' },
  )
  assert.throws(
    () =>
      identifyCredential({ authorization: 'Bearer seam_cst1_abc', 'client-session-token': 'x' }),
    /differ/,
  )
  assert.equal(
    identifyCredential({ 'seam-publishable-key': 'seam_pk1_abc' }).kind,
    'publishable_key',
  )
  assert.equal(identifyCredential({ authorization: 'Bearer eyJhbGciOi' }).kind, 'console_session')
  assert.throws(() => identifyCredential({}), /Missing Authorization header/)
  assert.throws(() => identifyCredential({ authorization: 'Basic abc' }), /Bearer/)
  assert.throws(() => identifyCredential({ authorization: 'Bearer abc' }), /start with "seam_"/)
})

test('refusals name what an endpoint accepts', () => {
  assert.equal(
    describeKinds(['api_key', 'pat_with_workspace']),
    'an API key or a personal access token with the seam-workspace header',
  )
})
