import { createHash, randomUUID } from 'node:crypto'

export const newId = (): string => randomUUID()

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
