import { createHash, randomUUID } from 'node:crypto'
import { DomainError } from './errors.js'

export const newId = (): string => randomUUID()

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (value: string): boolean => uuidPattern.test(value)

/** A UUID in lowercase, or a clear error naming what it should have been. */
export const parseId = (value: string, what: string): string => {
  if (!isUuid(value)) {
    throw new DomainError('invalid_input', 'invalid_input', `${what} must be a UUID`)
  }
  return value.toLowerCase()
}

/**
 * A UUID that is always the same for the same workspace and name (a name-based,
 * version 5 style UUID). Sandbox resources use it so that a reset sandbox keeps
 * its ids and scripts written against it keep working.
 */
export const stableId = (workspaceId: string, name: string): string => {
  const hex = createHash('sha1').update(`${workspaceId}/${name}`).digest('hex')
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `5${hex.slice(13, 16)}`,
    `${variant}${hex.slice(18, 20)}`,
    hex.slice(20, 32),
  ].join('-')
}
