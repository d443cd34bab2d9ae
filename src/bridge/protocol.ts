import { z } from 'zod'

/**
 * What the bridge agent (`keysmith bridge`, on the front-desk PC) and the server say
 * to each other. The agent always connects out; it needs no open port.
 *
 * 1. Pairing, once: `POST /_keysmith/bridge/pair` with `{ pairing_code, name }`
 *    answers `{ bridge_id, bridge_token, acs_system_id }`. The token is kept in the
 *    agent's state dir; the server keeps only its hash.
 * 2. Then, on every run: a WebSocket to `/_keysmith/bridge/connect` with
 *    `Authorization: Bearer <bridge_token>`. Messages are JSON text frames, below.
 *    The server pings every `heartbeat_ms` (WebSocket ping frames); an agent that
 *    hears nothing for 3 heartbeats drops the connection and reconnects with backoff.
 *
 * A job's result is held by the agent (in its state dir) until the server answers
 * `ack`: the agent sends it again in every `hello` until then, and a job it is sent
 * again is never run twice (it re-sends the held result, or ignores a job it is
 * still running). The server stores a result once, and acks it after its commit.
 */

export const BRIDGE_PAIR_PATH = '/_keysmith/bridge/pair'
export const BRIDGE_CONNECT_PATH = '/_keysmith/bridge/connect'

/** Close code the server uses for a token it does not know (the agent must pair again). */
export const CLOSE_UNAUTHORIZED = 4401

export const readerErrorTypes = [
  'no_credential_on_encoder',
  'encoding_interrupted',
  'incompatible_card_format',
  'encoder_not_online',
  'uncategorized_error',
] as const

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')

export const jobResultSchema = z.union([
  z.object({
    ok: z.literal(true),
    /** The card's UID in upper-case hex: the `card_number` Keysmith reports. */
    uid: z.string().min(1).max(64),
    /** Scans: the card's whole user memory, base64. */
    memory: base64.max(8192).optional(),
  }),
  z.object({
    ok: z.literal(false),
    error: z.object({ type: z.enum(readerErrorTypes), message: z.string().max(1000) }),
  }),
])
export type JobResult = z.infer<typeof jobResultSchema>

const resultMessage = z.object({
  type: z.literal('result'),
  job_id: z.string().uuid(),
  result: jobResultSchema,
})

const readerNames = z.array(z.string().min(1).max(200)).max(64)

/** Agent to server. */
export const agentMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    agent_version: z.string().max(100),
    driver: z.string().max(100),
    readers: readerNames,
    /** Results the server has not acknowledged yet. */
    results: z.array(resultMessage.omit({ type: true })).max(1000),
  }),
  z.object({ type: z.literal('readers'), readers: readerNames }),
  resultMessage,
])
export type AgentMessage = z.infer<typeof agentMessageSchema>

/** Server to agent. */
export const serverMessageSchema = z.union([
  z.object({ type: z.literal('welcome'), bridge_id: z.string().uuid(), heartbeat_ms: z.number() }),
  z.object({
    type: z.literal('job'),
    job_id: z.string().uuid(),
    reader: z.string(),
    operation: z.literal('encode'),
    /** The bytes to write from the tag's first user page, base64 (an NDEF message). */
    memory: base64,
    card_wait_ms: z.number().int().positive().optional(),
  }),
  z.object({
    type: z.literal('job'),
    job_id: z.string().uuid(),
    reader: z.string(),
    operation: z.literal('scan'),
    card_wait_ms: z.number().int().positive().optional(),
  }),
  z.object({ type: z.literal('ack'), job_id: z.string().uuid() }),
  /** The server gave up on the job (the attempt timed out): stop waiting for a card. */
  z.object({ type: z.literal('cancel'), job_id: z.string().uuid() }),
])
export type ServerMessage = z.infer<typeof serverMessageSchema>
export type JobMessage = Extract<ServerMessage, { type: 'job' }>

export const pairRequestSchema = z.object({
  pairing_code: z.string().min(1).max(100),
  name: z.string().min(1).max(200).optional(),
})

export interface PairResponse {
  bridge_id: string
  bridge_token: string
  acs_system_id: string
}

/** Parses one frame; undefined for anything that is not a valid message. */
export const parseMessage = <T>(schema: z.ZodType<T>, data: string): T | undefined => {
  try {
    const parsed = schema.safeParse(JSON.parse(data))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}
