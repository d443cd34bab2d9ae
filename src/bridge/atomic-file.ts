import { randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'

/**
 * Writes `data` to `file` through a temporary file beside it and a rename, so a
 * reader of `file` sees the old content or the new, never half of it.
 */
export const writeFileAtomic = async (
  file: string,
  data: Uint8Array | string,
  mode = 0o644,
): Promise<void> => {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temporary, data, { mode })
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {})
    throw error
  }
}
