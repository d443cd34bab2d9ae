import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { SeamHttpUnauthorizedError } from '@seamapi/http/connect'
import { sandboxWorkspaceId, TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * The operator's `keysmith` commands while a server runs: on PostgreSQL through the
 * database, on PGlite through the server's admin channel. A key or token revoked with
 * the CLI is refused on its next request, in every process.
 */

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))

/** Runs the CLI expecting it to fail; returns its exit code and stderr. */
const failing = async (server: TestServer, args: string[]) => {
  try {
    await promisify(execFile)(process.execPath, [cli, ...args], { env: server.env })
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string }
    return { code, stderr }
  }
  assert.fail(`keysmith ${args.join(' ')} succeeded`)
}

const refused = async (call: Promise<unknown>) => {
  await assert.rejects(call, (error) => error instanceof SeamHttpUnauthorizedError)
}

forEachDatabase(
  'keysmith command while a server runs',
  (kind) => {
    const server = useServer(kind)
    const embedded = kind.name === 'pglite'
    let second: TestServer | undefined

    after(async () => {
      await second?.stop()
    })

    test('users, PATs and API keys are managed without stopping the server', async () => {
      const s = server.current
      const url = s.url
      const created = await s.cli(['users', 'create', '--email', 'Operator@Hotel.example'])
      assert.match(created, /^User: [0-9a-f-]{36} {2}operator@hotel\.example\n$/)
      const added = await s.cli([
        'users',
        'add-to-workspace',
        '--email',
        'operator@hotel.example',
        '--workspace-id',
        sandboxWorkspaceId,
      ])
      assert.match(added, /is now a member/)
      const again = await s.cli([
        'users',
        'add-to-workspace',
        '--email',
        'operator@hotel.example',
        '--workspace-id',
        sandboxWorkspaceId,
      ])
      assert.match(again, /already was a member/)
      const pat = await s.cli([
        'pats',
        'create',
        '--email',
        'operator@hotel.example',
        '--name',
        'ops',
      ])
      const token = /Token: (seam_at\S+)/.exec(pat)?.[1]
      const tokenId = /Personal access token ([0-9a-f-]{36})/.exec(pat)?.[1]
      assert.ok(token && tokenId, pat)
      const listed = await s.cli(['pats', 'list'])
      assert.match(listed, new RegExp(`${tokenId} {2}active {2}operator@hotel\\.example .* ops`))
      assert.ok(!listed.includes(token), 'the token is shown once only')
      assert.equal((await s.seamWithToken(token).workspaces.get()).workspace_id, sandboxWorkspaceId)

      const workspace = await s.cli(['workspaces', 'create', '--name', 'CLI Hotel', '--sandbox'])
      const workspaceId = /Workspace: (\S+)/.exec(workspace)?.[1]
      const firstKey = /API key: (\S+)/.exec(workspace)?.[1]
      assert.ok(workspaceId && firstKey)
      assert.match(await s.cli(['workspaces', 'list']), /sandbox {2}CLI Hotel/)
      const second = /API key: (\S+)/.exec(
        await s.cli(['api-keys', 'create', '--workspace-id', workspaceId, '--name', 'Kiosk']),
      )?.[1]
      assert.ok(second)
      const keys = await s.cli(['api-keys', 'list', '--workspace-id', workspaceId])
      const lines = keys.trim().split('\n')
      assert.equal(lines.length, 2, keys)
      assert.match(lines[0] ?? '', /active .* Default key$/)
      assert.match(lines[1] ?? '', /active .* Kiosk$/)
      assert.ok(!keys.includes(firstKey) && !keys.includes(second))
      assert.equal((await s.seam({ apiKey: second }).workspaces.get()).workspace_id, workspaceId)
      assert.match(await s.cli(['webhooks', 'deliveries']), /No deliveries/)

      // The server ran throughout (on PGlite a restart would have changed its URL).
      assert.equal(s.url, url)
    })

    test('bad input: a clear message and a failing exit code', async () => {
      const s = server.current
      const duplicate = await failing(s, ['users', 'create', '--email', 'operator@hotel.example'])
      assert.equal(duplicate.code, 1)
      assert.match(duplicate.stderr, /A user with email operator@hotel\.example exists/)
      const unknownUser = await failing(s, ['pats', 'create', '--email', 'nobody@hotel.example'])
      assert.match(unknownUser.stderr, /No user with email nobody@hotel\.example/)
      const badEmail = await failing(s, ['users', 'create', '--email', 'not-an-email'])
      assert.match(badEmail.stderr, /is not an email address/)
      const badId = await failing(s, ['api-keys', 'revoke', 'nope'])
      assert.match(badId.stderr, /must be a UUID/)
      const unknownKey = await failing(s, ['api-keys', 'revoke', sandboxWorkspaceId])
      assert.match(unknownKey.stderr, /API key .* not found/)
      const unknownWorkspace = await failing(s, [
        'users',
        'add-to-workspace',
        '--email',
        'operator@hotel.example',
        '--workspace-id',
        '00000000-0000-4000-8000-000000000000',
      ])
      assert.match(unknownWorkspace.stderr, /No workspace/)
      const usage = await failing(s, ['pats', 'revoke'])
      assert.equal(usage.code, 2)
      assert.match(usage.stderr, /takes one id/)
      const missing = await failing(s, ['users', 'create'])
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /needs --email/)
    })

    test('a revoked API key and a revoked PAT stop at once, in every process', async () => {
      const s = server.current
      // On PostgreSQL, a second process (API only) shares the database.
      if (!embedded) {
        second = await new TestServer(s.database, {
          apiKey: s.apiKey,
          env: { KEYSMITH_WORKERS: 'off' },
        }).start()
      }
      const servers = second ? [s, second] : [s]
      const apiKey = /API key: (\S+)/.exec(
        await s.cli(['api-keys', 'create', '--workspace-id', sandboxWorkspaceId, '--name', 'Gone']),
      )?.[1]
      assert.ok(apiKey)
      const user = await s.createUserWithToken()
      for (const each of servers) {
        assert.equal(
          (await each.seam({ apiKey }).workspaces.get()).workspace_id,
          sandboxWorkspaceId,
        )
        await each.seamWithToken(user.token).acs.systems.list()
        await each.seamWithoutWorkspace(user.token).workspaces.list()
      }
      const keyId = (await s.cli(['api-keys', 'list', '--workspace-id', sandboxWorkspaceId]))
        .split('\n')
        .find((line) => line.endsWith('  Gone'))
        ?.split(' ')[0]
      assert.ok(keyId)
      assert.match(await s.cli(['api-keys', 'revoke', keyId]), /Revoked API key/)
      assert.match(await s.cli(['pats', 'revoke', user.tokenId]), /Revoked personal access token/)
      // The very next request, in each process, is refused: API key lookups each process
      // keeps (used just above) are dropped by the revocation's NOTIFY in every process.
      for (const each of servers) {
        await refused(each.seam({ apiKey }).workspaces.get())
        await refused(each.seam({ apiKey }).acs.users.list())
        await refused(each.seamWithToken(user.token).acs.systems.list())
        await refused(each.seamWithoutWorkspace(user.token).workspaces.list())
        // Other credentials keep working.
        assert.equal((await each.seam().workspaces.get()).workspace_id, sandboxWorkspaceId)
      }
      const keys = await s.cli(['api-keys', 'list', '--workspace-id', sandboxWorkspaceId])
      assert.match(keys, new RegExp(`${keyId} {2}revoked `))
      assert.match(await s.cli(['pats', 'list']), new RegExp(`${user.tokenId} {2}revoked `))
      assert.match(await s.cli(['api-keys', 'revoke', keyId]), /was already revoked/)
    })

    if (embedded) {
      test('the admin channel: a 0600 file in the data folder, a path no API credential opens', async () => {
        const s = server.current
        const dataDir = s.database.env.KEYSMITH_DATA_DIR
        assert.ok(dataDir)
        const file = join(dataDir, 'admin.json')
        assert.equal(statSync(file).mode & 0o777, 0o600)
        const path = '/_keysmith/admin/users.create'
        const json = { args: { email: 'sneaky@hotel.example' } }
        for (const authorization of [
          `Bearer ${s.apiKey}`,
          `Bearer ${(await s.createUserWithToken()).token}`,
          'Bearer wrong',
          '',
        ]) {
          const response = await s.fetch(path, { json, headers: { authorization } })
          assert.equal(response.status, 401, authorization)
        }
        // None of them created the user: the CLI still can.
        assert.match(await s.cli(['users', 'create', '--email', 'sneaky@hotel.example']), /^User: /)

        // Stopped, the server withdraws its channel and the CLI opens the folder itself.
        await s.stop()
        try {
          assert.throws(() => statSync(file), /ENOENT/)
          assert.match(await s.cli(['pats', 'list']), /operator@hotel\.example/)
        } finally {
          await s.start()
        }
        assert.equal(statSync(file).mode & 0o777, 0o600)
        assert.match(await s.cli(['pats', 'list']), /operator@hotel\.example/)
      })
    }
  },
  // Each command is a node process of its own: about a second each on a busy machine.
  { timeoutMs: 300_000 },
)
