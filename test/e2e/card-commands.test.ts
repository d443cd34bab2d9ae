import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { eventually } from '../support/poll.js'
import { frontDesk, hotel, newCardCredential, unknownId } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/** `keysmith encode`, `scan`, `events tail` and `help`, through the public API. */

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))

forEachDatabase('keysmith encode, scan and events tail', (kind) => {
  const server = useServer(kind)
  const api = () => ['--endpoint', server.current.url, '--api-key', server.current.apiKey]

  test('encode waits for the card; scan shows card against server, out-of-sync fields marked', async () => {
    const s = server.current
    const seam = s.seam()
    const { credential } = await newCardCredential(seam, 'Terminal Guest', {
      starts_at: '2031-07-01T15:00:00.000Z',
      ends_at: '2031-07-03T11:00:00.000Z',
    })
    const id = credential.acs_credential_id
    const encoded = await s.cli(['encode', '--credential', id, '--encoder', frontDesk, ...api()])
    assert.match(encoded, new RegExp(`^Encoded credential ${id} onto card \\S+\\n$`))

    const inSync = await s.cli(['scan', '--encoder', frontDesk, ...api()])
    assert.match(inSync, new RegExp(`^Credential ${id}\\n`))
    assert.match(inSync, /property +on the card +on the server/)
    assert.match(inSync, /ends_at +2031-07-03T11:00:00.000Z +2031-07-03T11:00:00.000Z/)
    assert.match(inSync, /In sync\.\n$/)

    await seam.acs.credentials.update({
      acs_credential_id: id,
      ends_at: '2031-07-04T11:00:00.000Z',
    })
    const outOfSync = await s.cli(['scan', '--encoder', frontDesk, ...api()])
    assert.match(outOfSync, /≠ ends_at +2031-07-03T11:00:00.000Z +2031-07-04T11:00:00.000Z/)
    assert.match(outOfSync, /^! acs_credential_on_encoder_out_of_sync: /m)
  })

  test('an error answers in one line, exit 1', async () => {
    const failed = await promisify(execFile)(
      process.execPath,
      [cli, 'scan', '--encoder', unknownId, ...api()],
      { env: server.current.env },
    ).then(
      () => assert.fail('scan of an unknown encoder succeeded'),
      (error: { code: number; stderr: string }) => error,
    )
    assert.equal(failed.code, 1)
    assert.match(failed.stderr, /^keysmith: acs_encoder_not_found: /)
  })

  test('events tail prints events as they happen', async () => {
    const s = server.current
    const child = spawn(process.execPath, [cli, 'events', 'tail', ...api()], {
      env: s.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    try {
      const user = await eventually(
        async () => {
          // Made until the tail (started just now) has begun listening.
          const made = await s.seam().acs.users.create({ acs_system_id: hotel, full_name: 'Tail' })
          await new Promise((resolve) => setTimeout(resolve, 700))
          return output.includes(made.acs_user_id) ? made : undefined
        },
        { what: `the tail to print the new user (it printed: ${output})`, timeoutMs: 20_000 },
      )
      assert.match(output, new RegExp(`acs_user\\.created .*acs_user_id=${user.acs_user_id}`))
    } finally {
      child.kill('SIGINT')
    }
  })

  test('keysmith help and --help print the commands', async () => {
    const help = await server.current.cli(['help'])
    assert.match(help, /^Usage: keysmith <command>/)
    assert.match(help, /encode --credential <id> --encoder <id>/)
    assert.equal(await server.current.cli(['scan', '--help']), help)
  })
})
