import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { SeamHttp } from '@seamapi/http/connect'
import { placeCard, removeVirtualReader } from '../../src/bridge/drivers/virtual.js'
import { BridgeProcess } from '../support/bridge-process.js'
import { eventually } from '../support/poll.js'
import { finishedAttempt, issuedEvents, since } from '../support/sandbox.js'
import { sandboxWorkspaceId, TestServer } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Real cards end to end: a Keysmith Cards system made with the CLI, a bridge agent
 * (`keysmith bridge --driver virtual`, a real process) paired with it, and the
 * official SDK encoding an Access Grant's card onto a virtual card, scanning it back
 * and `keysmith cards verify` deciding offline what a lock would. Then the faults:
 * no card, a tampered card, the agent killed mid-job, the server killed mid-job, the
 * agent gone (bridge_disconnected), a reader unplugged, and (on PostgreSQL) an
 * encode asked of a process the agent is not connected to.
 */

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))
const reader = 'Front desk reader'
/**
 * How long a job waits for its bridge to come back: long enough for an agent killed
 * by a test to be started again on a loaded machine (a new Node process loading its
 * modules), short enough for the test of an agent that stays gone.
 */
const graceMs = 15_000

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })

const verify = async (args: string[]): Promise<{ code: number; stdout: string }> => {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      'cards',
      'verify',
      ...args,
    ])
    return { code: 0, stdout }
  } catch (error) {
    const { code, stdout } = error as { code: number; stdout: string }
    return { code, stdout }
  }
}

const match = (pattern: RegExp, text: string): string => {
  const found = pattern.exec(text)?.[1]
  assert.ok(found, `expected ${pattern} in:\n${text}`)
  return found
}

forEachDatabase(
  'real cards through a bridge',
  (kind) => {
    let port = 0
    const server = useServer(kind, {
      env: { KEYSMITH_BRIDGE_HEARTBEAT_MS: '200', KEYSMITH_BRIDGE_GRACE_MS: String(graceMs) },
    })
    const bridge = new BridgeProcess({ readers: [reader], cardWaitMs: 8_000 })
    let seam: SeamHttp
    let acsSystemId = ''
    let encoderId = ''
    const doors: Record<string, string> = {}
    let publicKeyFile = ''
    let second: TestServer | undefined

    const encoderOnline = async () => {
      const [encoder] = await eventually(
        async () => {
          const encoders = await seam.acs.encoders.list({ acs_system_id: acsSystemId })
          return encoders.length > 0 && encoders.every((e) => e.errors.length === 0)
            ? encoders
            : undefined
        },
        { what: 'the bridge reader to be an encoder' },
      )
      assert.ok(encoder)
      return encoder
    }

    before(async () => {
      port = await freePort()
      // useServer's before ran first with port 0; start again on a fixed port, so the
      // agent finds the server again after a restart.
      await server.current.restart({ PORT: String(port) })
      seam = server.current.seam()
      const s = server.current
      const created = await s.cli([
        'systems',
        'create',
        '--workspace-id',
        sandboxWorkspaceId,
        '--name',
        'Harbor Hotel',
      ])
      acsSystemId = match(/Access system: (\S+)/, created)
      for (const [name, number, doorKind] of [
        ['Room 101', '101', 'guest'],
        ['Room 102', '102', 'guest'],
        ['Lobby', '1', 'common'],
      ] as const) {
        const added = await s.cli([
          'entrances',
          'add',
          '--acs-system-id',
          acsSystemId,
          '--name',
          name,
          '--number',
          number,
          '--kind',
          doorKind,
        ])
        doors[name] = match(/Entrance: (\S+)/, added)
      }
      publicKeyFile = join(bridge.stateDir, 'system.pem')
      writeFileSync(
        publicKeyFile,
        await s.cli(['systems', 'public-key', '--acs-system-id', acsSystemId]),
      )
      const pairing = await s.cli([
        'bridges',
        'create',
        '--acs-system-id',
        acsSystemId,
        '--name',
        'Front desk PC',
      ])
      bridge.start(s.url, match(/Pairing code: (\S+)/, pairing))
      await bridge.printed(/connected to/)
      encoderId = (await encoderOnline()).acs_encoder_id
    })

    after(async () => {
      await bridge.stop()
      await second?.stop()
      rmSync(bridge.stateDir, { recursive: true, force: true })
    })

    const newGuestCard = async (name: string, rooms: string[]) => {
      const identity = await seam.userIdentities.create({ full_name: name })
      const grant = await seam.accessGrants.create({
        user_identity_id: identity.user_identity_id,
        acs_entrance_ids: rooms.map((room) => doors[room] ?? ''),
        requested_access_methods: [{ mode: 'card' }],
        starts_at: '2031-07-01T15:00:00.000Z',
        ends_at: '2031-07-03T11:00:00.000Z',
      })
      const [accessMethodId] = grant.access_method_ids
      assert.ok(accessMethodId)
      assert.deepEqual(grant.errors, [])
      return { grant, accessMethodId }
    }

    test('the paired bridge reports its reader: an encoder of the system, which is online', async () => {
      const encoder = await encoderOnline()
      assert.equal(encoder.acs_encoder_id, encoderId)
      assert.equal(encoder.display_name, reader)
      assert.equal(encoder.acs_system_id, acsSystemId)
      const system = await seam.acs.systems.get({ acs_system_id: acsSystemId })
      assert.equal(system.name, 'Harbor Hotel')
      assert.equal(system.external_type, undefined)
      assert.equal(system.external_type_display_name, 'Keysmith Cards')
      assert.deepEqual(system.errors, [])
      const added = await seam.events.list({ since, event_type: 'acs_encoder.added' })
      assert.ok(added.some((e) => 'acs_encoder_id' in e && e.acs_encoder_id === encoderId))
      const entrances = await seam.acs.entrances.list({ acs_system_id: acsSystemId })
      assert.deepEqual(entrances.map((e) => e.display_name).sort(), [
        'Lobby',
        'Room 101',
        'Room 102',
      ])
    })

    test('an Access Grant card is encoded onto a virtual card, scanned back and verified offline', async () => {
      const placed = await bridge.cards(['place', '--encoder', reader, '--blank'])
      const uid = match(/UID (\S+)/, placed)
      const { accessMethodId } = await newGuestCard('Ada Guest', ['Room 101', 'Lobby'])
      const attempt = await seam.accessMethods.encode(
        { access_method_id: accessMethodId, acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      const done = await finishedAttempt(seam, attempt.action_attempt_id, 15_000)
      assert.equal(done.status, 'success', JSON.stringify(done))
      const method = await seam.accessMethods.get({ access_method_id: accessMethodId })
      assert.equal(method.is_issued, true)
      const result = done.result as { acs_credential_id: string; card_number: string }
      assert.equal(result.card_number, uid)
      const credential = await seam.acs.credentials.get({
        acs_credential_id: result.acs_credential_id,
      })
      assert.equal(credential.card_number, uid)
      assert.equal(credential.is_issued, true)

      const scan = await seam.acs.encoders.scanCredential(
        { acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      const scanned = await finishedAttempt(seam, scan.action_attempt_id, 15_000)
      assert.equal(scanned.status, 'success', JSON.stringify(scanned))
      const read = scanned.result as {
        acs_credential_on_encoder: { card_number: string; ends_at: string; is_issued: boolean }
        acs_credential_on_seam: { acs_credential_id: string } | null
        warnings: unknown[]
      }
      assert.equal(read.acs_credential_on_encoder.card_number, uid)
      assert.equal(read.acs_credential_on_encoder.is_issued, true)
      assert.equal(read.acs_credential_on_encoder.ends_at, '2031-07-03T11:00:00.000Z')
      assert.equal(read.acs_credential_on_seam?.acs_credential_id, result.acs_credential_id)
      assert.deepEqual(read.warnings, [])

      const dump = join(bridge.stateDir, 'ada.bin')
      await bridge.cards(['take', '--encoder', reader, '--file', dump])
      const at = ['--at', '2031-07-02T12:00:00Z']
      const room = await verify(['--public-key', publicKeyFile, '--entrance', '101', ...at, dump])
      assert.equal(room.code, 0, room.stdout)
      assert.match(room.stdout, /^open: door 101/)
      const lobby = await verify(['--public-key', publicKeyFile, '--entrance', '1', ...at, dump])
      assert.equal(lobby.code, 0, lobby.stdout)
      const other = await verify(['--public-key', publicKeyFile, '--entrance', '102', ...at, dump])
      assert.equal(other.code, 1)
      assert.match(other.stdout, /not_this_door/)
      const late = await verify([
        '--public-key',
        publicKeyFile,
        '--entrance',
        '101',
        '--at',
        '2031-07-04T00:00:00Z',
        dump,
      ])
      assert.match(late.stdout, /expired/)

      // Changing the stay puts the card out of sync: the scan names the field.
      await bridge.cards(['place', '--encoder', reader, '--file', dump])
      await seam.acs.credentials.update({
        acs_credential_id: result.acs_credential_id,
        ends_at: '2031-07-04T11:00:00.000Z',
      })
      const rescan = await seam.acs.encoders.scanCredential(
        { acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      const changed = await finishedAttempt(seam, rescan.action_attempt_id, 15_000)
      const warnings = (
        changed.result as { warnings: { warning_code: string; warning_message: string }[] }
      ).warnings
      assert.equal(warnings.length, 1)
      assert.equal(warnings[0]?.warning_code, 'acs_credential_on_encoder_out_of_sync')
      assert.match(warnings[0]?.warning_message ?? '', /ends_at/)
      await bridge.cards(['take', '--encoder', reader])
    })

    test('a tampered card scans with a warning naming it, and no lock opens for it', async () => {
      await bridge.cards(['place', '--encoder', reader, '--blank'])
      const { accessMethodId } = await newGuestCard('Tam Per', ['Room 102'])
      const attempt = await seam.accessMethods.encode(
        { access_method_id: accessMethodId, acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      assert.equal(
        (await finishedAttempt(seam, attempt.action_attempt_id, 15_000)).status,
        'success',
      )
      const dump = join(bridge.stateDir, 'tamper.bin')
      await bridge.cards(['take', '--encoder', reader, '--file', dump])
      // Door 102 becomes door 101 in the signed bytes (after the 16-byte NDEF header and
      // the 32-byte card header, the first door number's low byte).
      const memory = readFileSync(dump)
      const offset = memory.indexOf(Buffer.from([0x00, 0x66]), 16 + 32 - 2)
      assert.ok(offset > 0)
      memory[offset + 1] = 0x65
      writeFileSync(dump, memory)
      const decided = await verify([
        '--public-key',
        publicKeyFile,
        '--entrance',
        '101',
        '--at',
        '2031-07-02T12:00:00Z',
        dump,
      ])
      assert.equal(decided.code, 1)
      assert.match(decided.stdout, /bad_signature/)

      await bridge.cards(['place', '--encoder', reader, '--file', dump])
      const scan = await seam.acs.encoders.scanCredential(
        { acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      const scanned = await finishedAttempt(seam, scan.action_attempt_id, 15_000)
      assert.equal(scanned.status, 'success')
      const warnings = (scanned.result as { warnings: { warning_message: string }[] }).warnings
      assert.ok(
        warnings.some((w) => /tampered/.test(w.warning_message)),
        JSON.stringify(warnings),
      )
      await bridge.cards(['take', '--encoder', reader])
    })

    test('with no card on the reader the encoding ends as no_credential_on_encoder', async () => {
      const { accessMethodId } = await newGuestCard('No Card', ['Room 101'])
      const attempt = await seam.accessMethods.encode(
        { access_method_id: accessMethodId, acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      const done = await finishedAttempt(seam, attempt.action_attempt_id, 15_000)
      assert.equal(done.status, 'error')
      assert.equal(done.error?.type, 'no_credential_on_encoder')
    })

    test('the agent killed while it waits for a card is started again: the job completes', async () => {
      const { accessMethodId } = await newGuestCard('Agent Crash', ['Room 101'])
      const from = bridge.output.length
      const attempt = await seam.accessMethods.encode(
        { access_method_id: accessMethodId, acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      await bridge.printed(/job \S+: encode/, from)
      await bridge.kill()
      // A new process: its output starts afresh.
      bridge.start(server.current.url)
      await bridge.printed(/connected to/)
      // Laid down in this process: a spawned command could outlast the card wait.
      await placeCard(bridge.stateDir, reader, { blank: true })
      const done = await finishedAttempt(seam, attempt.action_attempt_id, 15_000)
      assert.equal(done.status, 'success', JSON.stringify(done))
      const credentialId = (done.result as { acs_credential_id: string }).acs_credential_id
      assert.equal((await issuedEvents(seam, credentialId)).length, 1)
      await bridge.cards(['take', '--encoder', reader])
    })

    test('the server killed mid-job and started again: the card is applied once', async () => {
      const { accessMethodId } = await newGuestCard('Server Crash', ['Room 102'])
      const from = bridge.output.length
      const attempt = await seam.accessMethods.encode(
        { access_method_id: accessMethodId, acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      await bridge.printed(/job \S+: encode/, from)
      await server.current.kill()
      try {
        // The card goes down while the server is away: the agent writes it and holds
        // the result until a server takes it.
        await placeCard(bridge.stateDir, reader, { blank: true })
        await bridge.printed(/job \S+: done, card/, from)
      } finally {
        await server.current.start()
        seam = server.current.seam()
      }
      await bridge.printed(/connected to/, from)
      const done = await finishedAttempt(seam, attempt.action_attempt_id, 20_000)
      assert.equal(done.status, 'success', JSON.stringify(done))
      const credentialId = (done.result as { acs_credential_id: string }).acs_credential_id
      assert.equal((await issuedEvents(seam, credentialId)).length, 1)
      await bridge.cards(['take', '--encoder', reader])
    })

    test('while the agent is away the system shows bridge_disconnected and encodes end so within seconds', async () => {
      await bridge.stop()
      const system = await eventually(
        async () => {
          const s = await seam.acs.systems.get({ acs_system_id: acsSystemId })
          return s.errors.length > 0 ? s : undefined
        },
        { what: 'the system to show bridge_disconnected' },
      )
      assert.equal(system.errors[0]?.error_code, 'bridge_disconnected')
      const { accessMethodId } = await newGuestCard('Away Guest', ['Room 101'])
      const started = Date.now()
      const attempt = await seam.accessMethods.encode(
        { access_method_id: accessMethodId, acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      const done = await finishedAttempt(seam, attempt.action_attempt_id, 20_000)
      assert.equal(done.status, 'error')
      assert.equal(done.error?.type, 'bridge_disconnected')
      assert.ok(Date.now() - started < graceMs + 5_000, 'ended long before the attempt timeout')

      bridge.start(server.current.url)
      await eventually(
        async () => {
          const s = await seam.acs.systems.get({ acs_system_id: acsSystemId })
          return s.errors.length === 0 ? s : undefined
        },
        { what: 'the error to clear once the agent is back' },
      )
    })

    test('a reader unplugged is removed (acs_encoder_removed); encodes on it end as encoder_not_online', async () => {
      await bridge.printed(/connected to/)
      await removeVirtualReader(bridge.stateDir, reader)
      const removed = await eventually(
        async () => {
          const encoder = await seam.acs.encoders.get({ acs_encoder_id: encoderId })
          return encoder.errors.length > 0 ? encoder : undefined
        },
        { what: 'the encoder to show acs_encoder_removed' },
      )
      assert.equal(removed.errors[0]?.error_code, 'acs_encoder_removed')
      const events = await seam.events.list({ since, event_type: 'acs_encoder.removed' })
      assert.ok(events.some((e) => 'acs_encoder_id' in e && e.acs_encoder_id === encoderId))
      const { accessMethodId } = await newGuestCard('Unplugged', ['Room 101'])
      const attempt = await seam.accessMethods.encode(
        { access_method_id: accessMethodId, acs_encoder_id: encoderId },
        { waitForActionAttempt: false },
      )
      const done = await finishedAttempt(seam, attempt.action_attempt_id, 15_000)
      assert.equal(done.error?.type, 'encoder_not_online')
      // Plugged in again, it is the same encoder.
      await bridge.stop()
      bridge.start(server.current.url)
      const back = await encoderOnline()
      assert.equal(back.acs_encoder_id, encoderId)
    })

    if (kind.name === 'postgres') {
      test('an encode asked of a process the agent is not connected to still reaches it', async () => {
        // The agent stays on the first process, which now runs no workers; the second
        // process runs the attempt and its job reaches the agent through the database.
        const from = bridge.output.length
        await server.current.restart({ PORT: String(port), KEYSMITH_WORKERS: 'off' })
        seam = server.current.seam()
        await bridge.printed(/connected to/, from)
        second = await new TestServer(server.current.database, {
          apiKey: server.current.apiKey,
          env: { KEYSMITH_BRIDGE_HEARTBEAT_MS: '200' },
        }).start()
        const other = second.seam()
        await encoderOnline()
        await bridge.cards(['place', '--encoder', reader, '--blank'])
        const { accessMethodId } = await newGuestCard('Elsewhere', ['Room 101'])
        const attempt = await other.accessMethods.encode(
          { access_method_id: accessMethodId, acs_encoder_id: encoderId },
          { waitForActionAttempt: false },
        )
        const done = await finishedAttempt(other, attempt.action_attempt_id, 15_000)
        assert.equal(done.status, 'success', JSON.stringify(done))
      })
    }
  },
  { timeoutMs: 240_000 },
)
