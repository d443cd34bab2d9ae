import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The embedded database's data folder lock, apart from the database code so that a
 * CLI command can ask who holds the folder without loading PGlite.
 */

export class DatabaseError extends Error {}

/**
 * PGlite keeps its data in one folder that only one process may open at a time;
 * a lock file next to it turns a second `npm start` into a clear error instead of
 * a corrupted database.
 */
export const lockDataDir = (dataDir: string): (() => void) => {
  mkdirSync(dataDir, { recursive: true })
  const lockFile = join(dataDir, 'keysmith.lock')
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' })
  } catch {
    const holder = Number(readFileSync(lockFile, 'utf8'))
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new DatabaseError(
        `Another Keysmith process (pid ${holder}) is using ${dataDir}. The embedded database serves one process; set DATABASE_URL to run several.`,
      )
    }
    writeFileSync(lockFile, String(process.pid))
  }
  return () => rmSync(lockFile, { force: true })
}

/**
 * The pid of the live process holding the embedded database in `dataDir`, if any
 * (the CLI then talks to that server instead of opening the folder).
 */
export const dataDirHolder = (dataDir: string): number | undefined => {
  let holder: number
  try {
    holder = Number(readFileSync(join(dataDir, 'keysmith.lock'), 'utf8'))
  } catch {
    return undefined
  }
  return Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)
    ? holder
    : undefined
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
