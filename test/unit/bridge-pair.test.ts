import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { cardsPlace, cardsTake, runBridge } from '../../src/bridge/agent/command.js'
import { PairingError, pairBridge, serverUrls } from '../../src/bridge/agent/pair.js'
import { loadCredentials, saveCredentials } from '../../src/bridge/agent/state.js'
import { addVirtualReader } from '../../src/bridge/drivers/virtual.js'
import { BRIDGE_PAIR_PATH } from '../../src/bridge/protocol.js'

/** A tiny pairing endpoint: `good-code` pairs, anything else is refused as the API refuses. */
const pairingServer = async () => {
  const requests: Array<{ url: string | undefined; body: unknown }> = []
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = ''
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    request.on('end', () => {
      const body = JSON.parse(text) as { pairing_code?: string }
      requests.push({ url: request.url, body })
      response.setHeader('content-type', 'application/json')
      if (request.url !== BRIDGE_PAIR_PATH) {
        response.statusCode = 404
        response.end(JSON.stringify({ error: { type: 'not_found', message: 'Not found.' } }))
      } else if (body.pairing_code === 'good-code') {
        response.end(
          JSON.stringify({
            bridge_id: randomUUID(),
            bridge_token: 'kbt_secret',
            acs_system_id: randomUUID(),
          }),
        )
      } else if (body.pairing_code === 'teapot') {
        response.statusCode = 502
        response.end('<html>bad gateway</html>')
      } else {
        response.statusCode = 400
        response.end(
          JSON.stringify({
            error: {
              type: 'invalid_pairing_code',
              message: 'This pairing code is unknown, used or expired.',
            },
          }),
        )
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('bridge pairing', () => {
  let server: Awaited<ReturnType<typeof pairingServer>>
  let stateDir: string
  before(async () => {
    server = await pairingServer()
    stateDir = await mkdtemp(path.join(tmpdir(), 'keysmith-pair-'))
  })
  after(async () => {
    await server.close()
    await rm(stateDir, { recursive: true, force: true })
  })

  test('the WebSocket URL follows the server URL, and ws(s) URLs pair over http(s)', () => {
    assert.deepEqual(serverUrls('http://desk.local:8080'), {
      pairUrl: 'http://desk.local:8080/_keysmith/bridge/pair',
      connectUrl: 'ws://desk.local:8080/_keysmith/bridge/connect',
    })
    assert.deepEqual(serverUrls('https://keys.example.com/hotel/'), {
      pairUrl: 'https://keys.example.com/hotel/_keysmith/bridge/pair',
      connectUrl: 'wss://keys.example.com/hotel/_keysmith/bridge/connect',
    })
    assert.equal(
      serverUrls('wss://keys.example.com').pairUrl,
      'https://keys.example.com/_keysmith/bridge/pair',
    )
    assert.equal(
      serverUrls('ws://10.0.0.2:3000').pairUrl,
      'http://10.0.0.2:3000/_keysmith/bridge/pair',
    )
    assert.throws(() => serverUrls('ftp://keys.example.com'), /http, https, ws or wss/)
    assert.throws(() => serverUrls('keys.example.com'), /must be a URL/)
  })

  test('pairs with the code and this host name', async () => {
    const paired = await pairBridge({ server: server.url, pairingCode: 'good-code' })
    assert.equal(paired.bridge_token, 'kbt_secret')
    assert.deepEqual(server.requests.at(-1), {
      url: BRIDGE_PAIR_PATH,
      body: { pairing_code: 'good-code', name: hostname() },
    })
  })

  test("a refused code surfaces the server's message", async () => {
    await assert.rejects(pairBridge({ server: server.url, pairingCode: 'stale' }), (error) => {
      assert.ok(error instanceof PairingError)
      assert.equal(error.message, 'pairing failed: This pairing code is unknown, used or expired.')
      assert.equal(error.type, 'invalid_pairing_code')
      assert.equal(error.status, 400)
      return true
    })
    await assert.rejects(
      pairBridge({ server: server.url, pairingCode: 'teapot' }),
      /pairing failed: the server answered 502/,
    )
    await assert.rejects(
      pairBridge({ server: 'http://127.0.0.1:1', pairingCode: 'good-code' }),
      /could not reach http:\/\/127.0.0.1:1\/_keysmith\/bridge\/pair/,
    )
  })

  test('runBridge: not paired without a code; pairing keeps bridge.json readable by this user only', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'keysmith-run-'))
    try {
      await assert.rejects(
        runBridge({ driver: 'virtual', stateDir: dir, log: () => {} }),
        /not paired: run with --pairing-code/,
      )
      await assert.rejects(
        runBridge({
          server: server.url,
          pairingCode: 'stale',
          driver: 'virtual',
          stateDir: dir,
          log: () => {},
        }),
        /This pairing code is unknown, used or expired/,
      )
      const lines: string[] = []
      const bridge = await runBridge({
        server: server.url,
        pairingCode: 'good-code',
        driver: 'virtual',
        stateDir: dir,
        log: (line) => lines.push(line),
      })
      await bridge.stop()
      await bridge.done
      const credentials = await loadCredentials(dir)
      assert.equal(credentials?.bridge_token, 'kbt_secret')
      assert.equal(credentials?.server, server.url)
      assert.equal(credentials?.bridge_id, bridge.bridgeId)
      assert.equal((await stat(path.join(dir, 'bridge.json'))).mode & 0o777, 0o600)
      assert.ok(lines.some((line) => line.startsWith('paired with')))
      // The token is not sent to another server than the one it was paired with.
      await assert.rejects(
        runBridge({ server: 'http://other.example', driver: 'virtual', stateDir: dir }),
        /paired with http:\/\/127.0.0.1:\d+, not http:\/\/other.example/,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('saveCredentials replaces a bridge.json with mode 0600', async () => {
    await writeFile(path.join(stateDir, 'bridge.json'), '{}', { mode: 0o644 })
    await saveCredentials(stateDir, { server: 'http://x', bridge_id: 'b', bridge_token: 't' })
    assert.equal((await stat(path.join(stateDir, 'bridge.json'))).mode & 0o777, 0o600)
    assert.deepEqual(JSON.parse(await readFile(path.join(stateDir, 'bridge.json'), 'utf8')), {
      server: 'http://x',
      bridge_id: 'b',
      bridge_token: 't',
    })
  })

  test('cards place / take print what they did, and take writes a dump', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'keysmith-cards-'))
    try {
      await assert.rejects(
        cardsPlace({ stateDir: dir }),
        /no virtual reader named "Virtual encoder 1"/,
      )
      await addVirtualReader(dir, 'Desk A')
      assert.match(
        await cardsPlace({ stateDir: dir, type: 'ntag216' }),
        /^placed a blank ntag216 with UID 04[0-9A-F]{12} on "Desk A"\n$/,
      )
      await assert.rejects(cardsPlace({ stateDir: dir, type: 'ntag999' }), /--type must be one of/)
      const dump = path.join(dir, 'dump.bin')
      assert.match(
        await cardsTake({ stateDir: dir, file: dump }),
        /^took the ntag216 with UID [0-9A-F]{14} off "Desk A"; its memory is in .*dump.bin\n$/,
      )
      assert.equal((await readFile(dump)).length, 888)
      await addVirtualReader(dir, 'Desk B')
      await assert.rejects(cardsTake({ stateDir: dir }), /2 virtual readers .*--encoder/)
      await assert.rejects(cardsTake({ stateDir: dir, reader: 'Desk B' }), /no card on "Desk B"/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
