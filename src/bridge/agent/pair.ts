import { hostname } from 'node:os'
import { BRIDGE_CONNECT_PATH, BRIDGE_PAIR_PATH, type PairResponse } from '../protocol.js'

/**
 * Pairing a bridge with the server, once: the pairing code an admin got from the
 * server buys the bridge its own token.
 */

export interface ServerUrls {
  /** Where to pair: `http(s)://…/_keysmith/bridge/pair`. */
  pairUrl: string
  /** Where to connect: `ws(s)://…/_keysmith/bridge/connect`. */
  connectUrl: string
}

const webProtocol: Record<string, string> = {
  'http:': 'http:',
  'https:': 'https:',
  'ws:': 'http:',
  'wss:': 'https:',
}

/**
 * The pairing and WebSocket URLs of a server given as `http(s)://host[:port][/prefix]`
 * (or directly as `ws(s)://…`): http pairs and connects with ws, https with wss.
 */
export const serverUrls = (server: string): ServerUrls => {
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new Error(`--server must be a URL such as https://keysmith.example.com, got "${server}"`)
  }
  const protocol = webProtocol[url.protocol]
  if (!protocol) {
    throw new Error(`--server must be an http, https, ws or wss URL, got "${server}"`)
  }
  const base = `${url.host}${url.pathname.replace(/\/+$/, '')}`
  return {
    pairUrl: `${protocol}//${base}${BRIDGE_PAIR_PATH}`,
    connectUrl: `${protocol === 'https:' ? 'wss:' : 'ws:'}//${base}${BRIDGE_CONNECT_PATH}`,
  }
}

/** The server refused to pair (a wrong or used pairing code, say): its message. */
export class PairingError extends Error {
  constructor(
    message: string,
    /** The API error type, e.g. `invalid_pairing_code`; undefined when the answer had none. */
    readonly type: string | undefined,
    readonly status: number,
  ) {
    super(message)
  }
}

const errorOf = (body: unknown): { type: string | undefined; message: string | undefined } => {
  const error = (body as { error?: unknown } | null)?.error
  if (typeof error !== 'object' || error === null) return { type: undefined, message: undefined }
  const { type, message } = error as Record<string, unknown>
  return {
    type: typeof type === 'string' ? type : undefined,
    message: typeof message === 'string' ? message : undefined,
  }
}

const isPairResponse = (body: unknown): body is PairResponse => {
  const { bridge_id, bridge_token, acs_system_id } = (body ?? {}) as Record<string, unknown>
  return (
    typeof bridge_id === 'string' &&
    typeof bridge_token === 'string' &&
    bridge_token.length > 0 &&
    typeof acs_system_id === 'string'
  )
}

/**
 * Trades a pairing code for the bridge's id and token (`POST /_keysmith/bridge/pair`
 * with `{ pairing_code, name }`, the name being this PC's host name unless given).
 * Throws a `PairingError` with the server's message when it refuses.
 */
export const pairBridge = async (options: {
  server: string
  pairingCode: string
  name?: string
}): Promise<PairResponse> => {
  const { pairUrl } = serverUrls(options.server)
  let response: Response
  try {
    response = await fetch(pairUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pairing_code: options.pairingCode,
        name: (options.name ?? hostname()).slice(0, 200) || 'keysmith-bridge',
      }),
      signal: AbortSignal.timeout(30_000),
    })
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message
    throw new Error(`could not reach ${pairUrl}: ${cause}`)
  }
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  if (!response.ok) {
    const { type, message } = errorOf(body)
    throw new PairingError(
      `pairing failed: ${message ?? `the server answered ${response.status} ${response.statusText}`.trim()}`,
      type,
      response.status,
    )
  }
  if (!isPairResponse(body)) {
    throw new Error(`pairing failed: ${pairUrl} did not answer with a bridge id and token`)
  }
  return {
    bridge_id: body.bridge_id,
    bridge_token: body.bridge_token,
    acs_system_id: body.acs_system_id,
  }
}
