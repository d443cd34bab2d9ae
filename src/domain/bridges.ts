import { createHash, randomBytes, randomInt } from 'node:crypto'
import { insertAcsEncoders, updateAcsEncoder } from '../db/acs-encoders.js'
import { findAcsSystem } from '../db/acs-systems.js'
import {
  findBridgeByPairingCode,
  findBridgeByToken,
  insertBridge,
  listBridgeEncoders,
  listBridgesOfSystems,
  updateBridge,
} from '../db/bridges.js'
import type { AcsSystemRow, BridgeRow, Executor } from '../db/schema.js'
import { recordEvent } from '../events/log.js'
import type { ProviderRegistry } from '../providers/index.js'
import { DomainError, invalidInput, notFound } from './errors.js'
import { newId, parseId } from './ids.js'

/**
 * Bridges: the agents (`keysmith bridge`) that run next to the readers of a system
 * Keysmith runs itself. An operator makes one with a one-time pairing code; the
 * agent trades the code for its token (both stored as hashes). While connected, the
 * agent's readers are the system's encoders. The connection state lives on the
 * bridge row, written by whichever process holds the agent's WebSocket, so every
 * process can tell whether the agent is online (see bridge/server/hub.ts).
 */

export const pairingCodeTtlMs = 10 * 60 * 1000

/** A bridge heard of within this long is online (3 heartbeats by default). */
export const defaultBridgeStaleMs = 15_000

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex')

/** Codes are read off a screen and typed: no 0/O or 1/I. */
const codeAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
const newPairingCode = (): string => {
  const chars = Array.from({ length: 8 }, () => codeAlphabet[randomInt(codeAlphabet.length)])
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`
}

/** Case and dashes do not matter when typed. */
const normalizeCode = (code: string): string => code.toUpperCase().replace(/[^A-Z0-9]/g, '')

const hashCode = (code: string): string => sha256(`pairing:${normalizeCode(code)}`)

export const hashBridgeToken = (token: string): string => sha256(token)

/** The system, if Keysmith runs it itself; an error naming what is wrong otherwise. */
export const ownSystem = async (
  db: Executor,
  providers: ProviderRegistry,
  acsSystemId: string,
): Promise<AcsSystemRow> => {
  const id = parseId(acsSystemId, 'The access system id')
  const system = await db
    .selectFrom('acs_systems')
    .selectAll()
    .where('acs_system_id', '=', id)
    .executeTakeFirst()
  if (!system) throw notFound('acs_system', acsSystemId)
  if (!providers.forSystem(system.external_type).ownSystem) {
    throw invalidInput(
      `${system.name} is a ${system.external_type_display_name} system: bridges and doors are added only to systems Keysmith runs itself (keysmith systems create)`,
      'acs_system_id',
    )
  }
  return system
}

export const createBridge = async (
  db: Executor,
  providers: ProviderRegistry,
  input: { acsSystemId: string; name?: string | undefined; now: Date },
): Promise<{
  bridge_id: string
  pairing_code: string
  expires_at: Date
  acs_system_id: string
}> => {
  const system = await ownSystem(db, providers, input.acsSystemId)
  const code = newPairingCode()
  const expiresAt = new Date(input.now.getTime() + pairingCodeTtlMs)
  const bridge = await insertBridge(db, {
    bridge_id: newId(),
    workspace_id: system.workspace_id,
    acs_system_id: system.acs_system_id,
    name: input.name ?? `Bridge ${code.slice(0, 4)}`,
    pairing_code_hash: hashCode(code),
    pairing_expires_at: expiresAt,
    created_at: input.now,
  })
  return {
    bridge_id: bridge.bridge_id,
    pairing_code: code,
    expires_at: expiresAt,
    acs_system_id: system.acs_system_id,
  }
}

const pairingRefused = (message: string) =>
  new DomainError('unauthorized', 'invalid_pairing_code', message)

/** Trades a pairing code for the bridge's token; the code works once. Run in a transaction. */
export const pairBridge = async (
  db: Executor,
  input: { pairingCode: string; now: Date },
): Promise<{ bridge_id: string; bridge_token: string; acs_system_id: string }> => {
  const bridge = await findBridgeByPairingCode(db, hashCode(input.pairingCode))
  if (!bridge) {
    throw pairingRefused(
      'This pairing code is unknown or was already used: make a new one with keysmith bridges create',
    )
  }
  if (!bridge.pairing_expires_at || bridge.pairing_expires_at <= input.now) {
    throw pairingRefused(
      'This pairing code has expired (codes last 10 minutes): make a new one with keysmith bridges create',
    )
  }
  const token = `ksb_${randomBytes(24).toString('base64url')}`
  await updateBridge(db, bridge.bridge_id, {
    pairing_code_hash: null,
    pairing_expires_at: null,
    token_hash: hashBridgeToken(token),
    paired_at: input.now,
  })
  return { bridge_id: bridge.bridge_id, bridge_token: token, acs_system_id: bridge.acs_system_id }
}

export const bridgeOfToken = (db: Executor, token: string): Promise<BridgeRow | undefined> =>
  findBridgeByToken(db, hashBridgeToken(token))

/** Whether the agent is connected now, as any process sees it. */
export const isBridgeOnline = (bridge: BridgeRow, now: Date, staleMs: number): boolean =>
  bridge.connection_owner !== null &&
  bridge.last_seen_at !== null &&
  now.getTime() - bridge.last_seen_at.getTime() < staleMs

/**
 * Makes the bridge's encoders its readers now: a new reader is a new encoder
 * (`acs_encoder.added`), one that came back works again (`acs_encoder.added`), one
 * that is gone shows `acs_encoder_removed` (`acs_encoder.removed`) and keeps its id,
 * so apps holding it see it come back. Run in a transaction.
 */
export const syncBridgeReaders = async (
  db: Executor,
  bridge: BridgeRow,
  readers: readonly string[],
  now: Date,
): Promise<void> => {
  const system = await findAcsSystem(db, bridge.workspace_id, bridge.acs_system_id)
  if (!system) return
  const ids = {
    acs_system_id: system.acs_system_id,
    connected_account_id: system.connected_account_id,
  }
  const encoders = await listBridgeEncoders(db, bridge.bridge_id)
  const wanted = new Set(readers)
  for (const encoder of encoders) {
    const present = encoder.reader_name !== null && wanted.has(encoder.reader_name)
    if (present && encoder.removed_at !== null) {
      await updateAcsEncoder(db, encoder.acs_encoder_id, { removed_at: null })
      await recordEvent(
        db,
        bridge.workspace_id,
        'acs_encoder.added',
        { ...ids, acs_encoder_id: encoder.acs_encoder_id },
        now,
      )
    } else if (!present && encoder.removed_at === null) {
      await updateAcsEncoder(db, encoder.acs_encoder_id, { removed_at: now })
      await recordEvent(
        db,
        bridge.workspace_id,
        'acs_encoder.removed',
        { ...ids, acs_encoder_id: encoder.acs_encoder_id },
        now,
      )
    }
  }
  const known = new Set(encoders.map((e) => e.reader_name))
  const added = readers
    .filter((name) => !known.has(name))
    .map((name) => ({
      acs_encoder_id: newId(),
      workspace_id: bridge.workspace_id,
      ...ids,
      display_name: name,
      acs_card_id: null,
      bridge_id: bridge.bridge_id,
      reader_name: name,
      created_at: now,
    }))
  await insertAcsEncoders(db, added)
  for (const { acs_encoder_id } of added) {
    await recordEvent(db, bridge.workspace_id, 'acs_encoder.added', { ...ids, acs_encoder_id }, now)
  }
}

export interface BridgeError {
  error_code: 'bridge_disconnected'
  is_bridge_error: true
  message: string
  created_at: string
}

/** The `bridge_disconnected` error of each system with a paired bridge that is offline. */
export const bridgeErrorsOf = async (
  db: Executor,
  acsSystemIds: readonly string[],
  now: Date,
  staleMs: number,
): Promise<Map<string, BridgeError[]>> => {
  const errors = new Map<string, BridgeError[]>()
  for (const bridge of await listBridgesOfSystems(db, acsSystemIds)) {
    if (isBridgeOnline(bridge, now, staleMs)) continue
    const since =
      bridge.disconnected_at ?? bridge.last_seen_at ?? bridge.paired_at ?? bridge.created_at
    const list = errors.get(bridge.acs_system_id) ?? []
    list.push({
      error_code: 'bridge_disconnected',
      is_bridge_error: true,
      message: `The bridge "${bridge.name}" is not connected${bridge.last_seen_at ? ` (last seen ${bridge.last_seen_at.toISOString()})` : ' (it has not connected since it was paired)'}: start keysmith bridge on its computer.`,
      created_at: since.toISOString(),
    })
    errors.set(bridge.acs_system_id, list)
  }
  return errors
}

/** The bridges of a system, for operators: paired or waiting, online or not, and their readers. */
export const listSystemBridges = async (
  db: Executor,
  providers: ProviderRegistry,
  acsSystemId: string,
  now: Date,
  staleMs = defaultBridgeStaleMs,
) => {
  const system = await ownSystem(db, providers, acsSystemId)
  const bridges = await db
    .selectFrom('bridges')
    .selectAll()
    .where('acs_system_id', '=', system.acs_system_id)
    .orderBy('created_at')
    .execute()
  return Promise.all(
    bridges.map(async (bridge) => ({
      bridge_id: bridge.bridge_id,
      name: bridge.name,
      state:
        bridge.token_hash === null
          ? bridge.pairing_expires_at && bridge.pairing_expires_at > now
            ? 'waiting for pairing'
            : 'pairing code expired'
          : isBridgeOnline(bridge, now, staleMs)
            ? 'online'
            : 'offline',
      driver: bridge.driver,
      last_seen_at: bridge.last_seen_at,
      encoders: (await listBridgeEncoders(db, bridge.bridge_id)).map((encoder) => ({
        acs_encoder_id: encoder.acs_encoder_id,
        display_name: encoder.display_name,
        removed: encoder.removed_at !== null,
      })),
    })),
  )
}
