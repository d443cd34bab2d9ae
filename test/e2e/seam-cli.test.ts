import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { eventually } from '../support/poll.js'
import { frontDesk, hotel, room101, since } from '../support/sandbox.js'
import { sandboxWorkspaceId, type TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * The official Seam CLI (`seam`, from the pinned `seam` package) against Keysmith,
 * non-interactively (`-y`), with its endpoint and token from the environment and the
 * commands built from this server's `/openapi.json` (`--remote-schema`). Without
 * `--remote-schema` the CLI builds its commands from the document in the
 * `@seamapi/types` release it downloads from npm, which its own checker refuses
 * (see README): a reason outside Keysmith, shown by the last test.
 */

/** The `seam` command the `seam` package installs (a JavaScript file). */
const seamBin = realpathSync(
  fileURLToPath(new URL('../../../node_modules/.bin/seam', import.meta.url)),
)

const home = mkdtempSync(join(tmpdir(), 'keysmith-seam-cli-'))
after(() => rmSync(home, { recursive: true, force: true }))

interface Run {
  code: number
  stdout: string
  stderr: string
}

const seamCli = async (
  server: TestServer,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> => {
  try {
    const running = promisify(execFile)(process.execPath, [seamBin, ...args, '-y'], {
      env: {
        PATH: process.env.PATH ?? '',
        // The CLI keeps its settings under the home folder: one of its own.
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        SEAM_CLI_ENDPOINT: server.url,
        SEAM_CLI_TOKEN: server.apiKey,
        ...env,
      },
      timeout: 60_000,
    })
    // The CLI reads parameters piped in: nothing comes.
    running.child.stdin?.end()
    const { stdout, stderr } = await running
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

/** Runs a command and parses its JSON output. */
const json = async <T>(server: TestServer, args: string[], env?: Record<string, string>) => {
  const run = await seamCli(server, [...args, '--remote-schema'], env)
  assert.equal(run.code, 0, `seam ${args.join(' ')} failed:\n${run.stderr}${run.stdout}`)
  return JSON.parse(run.stdout) as T
}

forEachDatabase(
  'the official Seam CLI',
  (kind) => {
    const server = useServer(kind)

    test('lists systems, entrances and encoders; creates a user and a card; encodes, scans, lists events', async () => {
      const s = server.current
      const { acs_systems } = await json<{ acs_systems: { acs_system_id: string }[] }>(s, [
        'acs',
        'systems',
        'list',
      ])
      assert.ok(acs_systems.some((system) => system.acs_system_id === hotel))
      const { acs_entrances } = await json<{ acs_entrances: { acs_entrance_id: string }[] }>(s, [
        'acs',
        'entrances',
        'list',
        '--acs_system_id',
        hotel,
      ])
      assert.ok(acs_entrances.some((entrance) => entrance.acs_entrance_id === room101))
      const { acs_encoders } = await json<{ acs_encoders: { acs_encoder_id: string }[] }>(s, [
        'acs',
        'encoders',
        'list',
        '--acs_system_id',
        hotel,
      ])
      assert.ok(acs_encoders.some((encoder) => encoder.acs_encoder_id === frontDesk))

      const { acs_user } = await json<{ acs_user: { acs_user_id: string; full_name: string } }>(s, [
        'acs',
        'users',
        'create',
        '--acs_system_id',
        hotel,
        '--full_name',
        'Cli Guest',
      ])
      assert.equal(acs_user.full_name, 'Cli Guest')
      const { acs_credential } = await json<{ acs_credential: { acs_credential_id: string } }>(s, [
        'acs',
        'credentials',
        'create',
        '--raw',
        JSON.stringify({
          acs_user_id: acs_user.acs_user_id,
          access_method: 'card',
          allowed_acs_entrance_ids: [room101],
        }),
      ])

      const attempt = (args: string[]) =>
        json<{ action_attempt: { action_attempt_id: string; status: string } }>(s, args)
      /** What `seam action-attempts get` says once the attempt is no longer pending. */
      const finished = (id: string) =>
        eventually(
          async () => {
            const { action_attempt } = await json<{
              action_attempt: { status: string; result: unknown }
            }>(s, ['action-attempts', 'get', '--action_attempt_id', id])
            return action_attempt.status === 'pending' ? undefined : action_attempt
          },
          { what: `action attempt ${id}`, timeoutMs: 60_000, intervalMs: 100 },
        )
      const encoding = await attempt([
        'acs',
        'encoders',
        'encode-credential',
        '--acs_encoder_id',
        frontDesk,
        '--acs_credential_id',
        acs_credential.acs_credential_id,
      ])
      const encoded = await finished(encoding.action_attempt.action_attempt_id)
      assert.equal(encoded.status, 'success')
      assert.equal(
        (encoded.result as { acs_credential_id: string }).acs_credential_id,
        acs_credential.acs_credential_id,
      )

      const scanning = await attempt([
        'acs',
        'encoders',
        'scan-credential',
        '--acs_encoder_id',
        frontDesk,
      ])
      const scanned = await finished(scanning.action_attempt.action_attempt_id)
      assert.equal(scanned.status, 'success')
      const onSeam = (scanned.result as { acs_credential_on_seam: { acs_credential_id: string } })
        .acs_credential_on_seam
      assert.equal(onSeam.acs_credential_id, acs_credential.acs_credential_id)

      const { events } = await json<{ events: { event_type: string }[] }>(s, [
        'events',
        'list',
        '--since',
        since,
        '--event_type',
        'acs_credential.issued',
      ])
      assert.ok(events.length >= 1)
    })

    test('with a personal access token and SEAM_CLI_WORKSPACE_ID', async () => {
      const s = server.current
      const { token } = await s.createUserWithToken()
      const { acs_systems } = await json<{ acs_systems: { acs_system_id: string }[] }>(
        s,
        ['acs', 'systems', 'list'],
        { SEAM_CLI_TOKEN: token, SEAM_CLI_WORKSPACE_ID: sandboxWorkspaceId },
      )
      assert.ok(acs_systems.some((system) => system.acs_system_id === hotel))
    })

    test('without --remote-schema the CLI refuses the document it downloads itself (not Keysmith)', async () => {
      const run = await seamCli(server.current, ['acs', 'systems', 'list'])
      if (run.code === 0) return // a later CLI release fixed it: nothing to show
      assert.match(
        run.stderr + run.stdout,
        /Could not update Seam API schema|inline schema instead of \$ref|ENOTFOUND|EAI_AGAIN|fetch failed/,
      )
    })
  },
  { timeoutMs: 240_000 },
)
