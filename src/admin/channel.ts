import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

/**
 * The operator's channel into a running server on the embedded database (the file
 * both ends share; the server's side of it is routes.ts). PGlite
 * serves one process, so while a server holds the data folder the CLI cannot open
 * it: the server then writes `admin.json` (its URL and a random token, mode 0600)
 * into the data folder and runs admin operations posted to `/_keysmith/admin/<op>`
 * with that token. Only someone who can read the data folder (who could read the
 * database itself) gets the token; API keys and PATs never open this path, and it
 * answers only connections from the same machine.
 */

export const adminPathPrefix = '/_keysmith/admin/'

export interface AdminEndpoint {
  url: string
  token: string
  pid: number
}

export const adminFile = (dataDir: string): string => join(dataDir, 'admin.json')

export const newAdminToken = (): string => randomBytes(32).toString('base64url')

/** The URL the CLI on this machine reaches the server at (0.0.0.0 and :: mean loopback). */
export const localUrl = (address: AddressInfo): string => {
  if (address.family === 'IPv6') {
    const host = address.address === '::' ? '::1' : address.address
    return `http://[${host}]:${address.port}`
  }
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address
  return `http://${host}:${address.port}`
}

/** Publishes the channel: written to a temporary file first, so readers never see half. */
export const writeAdminFile = (dataDir: string, endpoint: AdminEndpoint): void => {
  const file = adminFile(dataDir)
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(endpoint), { mode: 0o600 })
  renameSync(temporary, file)
}

/** Removes the file if it is still this server's. */
export const removeAdminFile = (dataDir: string, token: string): void => {
  const endpoint = readAdminFile(dataDir)
  if (endpoint?.token === token) rmSync(adminFile(dataDir), { force: true })
}

export const readAdminFile = (dataDir: string): AdminEndpoint | undefined => {
  try {
    const parsed = JSON.parse(readFileSync(adminFile(dataDir), 'utf8')) as Partial<AdminEndpoint>
    if (
      typeof parsed.url === 'string' &&
      typeof parsed.token === 'string' &&
      typeof parsed.pid === 'number'
    ) {
      return { url: parsed.url, token: parsed.token, pid: parsed.pid }
    }
  } catch {
    // absent or unreadable: no server has published a channel
  }
  return undefined
}
