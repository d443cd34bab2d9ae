import { createHash } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * A freshly initialised PGlite data folder, made once by `npm run build` (PGlite's
 * initdb, then closed cleanly) and copied into each new data folder instead of running
 * initdb there. PGlite runs initdb in a second, throwaway WASM instance, which took a
 * first start to about 800 MB resident; a copied folder opens like a restart.
 *
 * The image is a folder (`pgdata/`) and a manifest naming the PGlite version that made
 * it and every file's size and SHA-256. Anything amiss (no image, another PGlite
 * version, a file missing or changed) and the caller runs initdb as before.
 */

/** Where the build puts the image: `dist/pglite-image`, beside the compiled `dist/src`. */
export const defaultPgliteImageDir = fileURLToPath(new URL('../../pglite-image', import.meta.url))

interface ImageFile {
  path: string
  size: number
  sha256: string
}

interface Manifest {
  pglite: string
  /** Every folder, empty ones included (PostgreSQL wants those too). */
  folders: string[]
  files: ImageFile[]
}

const manifestName = 'manifest.json'

/** The installed PGlite's version: an image made by another one is not used. */
export const pgliteVersion = (): string => {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  let dir = dirname(entry)
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    version: string
  }
  return version
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** The regular files or the folders under `root`, as paths relative to it. */
const entriesUnder = (root: string, kind: 'file' | 'folder'): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => (kind === 'file' ? entry.isFile() : entry.isDirectory()))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort()

const readManifest = (imageDir: string): Manifest | undefined => {
  try {
    const manifest = JSON.parse(readFileSync(join(imageDir, manifestName), 'utf8')) as Manifest
    return typeof manifest.pglite === 'string' &&
      Array.isArray(manifest.folders) &&
      Array.isArray(manifest.files)
      ? manifest
      : undefined
  } catch {
    return undefined
  }
}

/** Whether `imageDir` holds a complete image made by the installed PGlite. */
export const hasPgliteImage = (imageDir: string): boolean =>
  readManifest(imageDir)?.pglite === pgliteVersion()

/**
 * Makes the image in `imageDir` with `initialise` (which opens PGlite on the folder
 * it is given and closes it), unless one made by this PGlite is already there. Built
 * beside it and renamed into place, so a build stopped half-way leaves no image.
 */
export const makePgliteImage = async (
  imageDir: string,
  initialise: (pgdata: string) => Promise<void>,
): Promise<'made' | 'kept'> => {
  if (hasPgliteImage(imageDir)) return 'kept'
  const building = `${imageDir}.building-${process.pid}`
  rmSync(building, { recursive: true, force: true })
  try {
    const pgdata = join(building, 'pgdata')
    mkdirSync(pgdata, { recursive: true })
    await initialise(pgdata)
    const folders = entriesUnder(pgdata, 'folder')
    const files = entriesUnder(pgdata, 'file').map((path): ImageFile => {
      const data = readFileSync(join(pgdata, path))
      return { path, size: data.byteLength, sha256: sha256(data) }
    })
    const manifest: Manifest = { pglite: pgliteVersion(), folders, files }
    writeFileSync(join(building, manifestName), `${JSON.stringify(manifest, null, 1)}\n`)
    rmSync(imageDir, { recursive: true, force: true })
    renameSync(building, imageDir)
    return 'made'
  } finally {
    rmSync(building, { recursive: true, force: true })
  }
}

/**
 * Copied through one small buffer: reading each file whole (the WAL segment is 16 MB,
 * the folder 39 MB) left the process about 40 MB larger for good, memory the allocator
 * kept after the buffers were freed.
 */
const copyChunk = 256 * 1024

/** Copies `from` to `to` (a new file), false if it is not the file the manifest lists. */
const copyChecked = (from: string, to: string, file: ImageFile, buffer: Buffer): boolean => {
  const hash = createHash('sha256')
  let size = 0
  const input = openSync(from, 'r')
  try {
    const output = openSync(to, 'wx', 0o600)
    try {
      for (;;) {
        const read = readSync(input, buffer, 0, buffer.byteLength, null)
        if (read === 0) break
        const chunk = buffer.subarray(0, read)
        hash.update(chunk)
        writeSync(output, chunk)
        size += read
      }
    } finally {
      closeSync(output)
    }
  } finally {
    closeSync(input)
  }
  return size === file.size && hash.digest('hex') === file.sha256
}

/**
 * Copies the image's data folder to `pgdata` (which must not exist, or be an empty
 * folder), checking each file against the manifest; false, with nothing left behind,
 * when there is no usable image. Copied beside `pgdata` and renamed into place, so a
 * copy that fails half-way never looks like a data folder.
 */
export const copyPgliteImage = (imageDir: string, pgdata: string): boolean => {
  const manifest = readManifest(imageDir)
  if (manifest?.pglite !== pgliteVersion() || manifest.files.length === 0) return false
  const copying = `${pgdata}.image-${process.pid}`
  try {
    rmSync(copying, { recursive: true, force: true })
    for (const folder of ['', ...manifest.folders]) {
      const target = join(copying, folder)
      if (relative(copying, target).startsWith('..')) return false
      mkdirSync(target, { recursive: true, mode: 0o700 })
    }
    const buffer = Buffer.allocUnsafe(copyChunk)
    for (const file of manifest.files) {
      const target = join(copying, file.path)
      if (relative(copying, target).startsWith('..')) return false
      if (!copyChecked(join(imageDir, 'pgdata', file.path), target, file, buffer)) return false
    }
    renameSync(copying, pgdata)
    return true
  } catch {
    return false
  } finally {
    rmSync(copying, { recursive: true, force: true })
  }
}
