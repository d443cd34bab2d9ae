import assert from 'node:assert/strict'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { type Database, openDatabase } from '../../src/db/database.js'
import {
  copyPgliteImage,
  defaultPgliteImageDir,
  hasPgliteImage,
  makePgliteImage,
} from '../../src/db/pglite-image.js'
import { SANDBOX_WORKSPACE_ID } from '../../src/domain/sandbox.js'
import { ensureSandboxWorkspace } from '../../src/domain/workspaces.js'
import { createProviderRegistry } from '../../src/providers/index.js'
import { sandboxCounts } from '../support/sandbox-counts.js'

/**
 * A new embedded data folder is copied from the image `npm run build` makes
 * (src/db/pglite-image.ts) instead of running PGlite's initdb, and behaves as one made
 * by initdb: migrated, seeded, opened again with its data. An image that is missing,
 * changed or made by another PGlite is not used: initdb makes the folder, as before.
 * PGlite only: PostgreSQL has no data folder of Keysmith's.
 */

const root = mkdtempSync(join(tmpdir(), 'keysmith-pglite-image-'))
after(() => rmSync(root, { recursive: true, force: true }))

const providers = createProviderRegistry({ sandboxActionDelayMs: 0 })

const open = (dataDir: string, pgliteImageDir?: string): Promise<Database> =>
  openDatabase({ databaseUrl: undefined, dataDir, pgliteImageDir })

const countSystems = async (database: Database): Promise<number> => {
  const { count } = await database.db
    .selectFrom('acs_systems')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('workspace_id', '=', SANDBOX_WORKSPACE_ID)
    .executeTakeFirstOrThrow()
  return Number(count)
}

/** Opens a new folder, seeds it, closes it, opens it again: the seed is still there. */
const openSeedReopen = async (
  dataDir: string,
  pgliteImageDir: string | undefined,
  expected: 'image' | 'initdb',
): Promise<void> => {
  const first = await open(dataDir, pgliteImageDir)
  try {
    assert.equal(first.createdFrom, expected)
    assert.deepEqual(await first.check(), { reachable: true, migrated: true })
    await ensureSandboxWorkspace(first.db, { now: new Date(), providers })
    assert.equal(await countSystems(first), sandboxCounts.systems)
  } finally {
    await first.close()
  }
  assert.deepEqual(
    readdirSync(dataDir).filter((name) => name !== 'pgdata'),
    [],
    'nothing but the data folder is left (no copy in progress, the lock released)',
  )
  const again = await open(dataDir, pgliteImageDir)
  try {
    assert.equal(again.createdFrom, undefined)
    assert.deepEqual(await again.check(), { reachable: true, migrated: true })
    assert.equal(await countSystems(again), sandboxCounts.systems)
  } finally {
    await again.close()
  }
}

/** A copy of the build's image, changed by `change`. */
const imageCopy = (name: string, change: (imageDir: string) => void): string => {
  const imageDir = join(root, name)
  cpSync(defaultPgliteImageDir, imageDir, { recursive: true })
  change(imageDir)
  return imageDir
}

describe('PGlite data folder from the prebuilt image', { timeout: 300_000 }, () => {
  test('the build made an image for the installed PGlite', () => {
    assert.ok(hasPgliteImage(defaultPgliteImageDir), `no image in ${defaultPgliteImageDir}`)
  })

  test('a new folder is copied from the image, migrated, seeded and opens again', async () => {
    await openSeedReopen(join(root, 'from-image'), undefined, 'image')
  })

  test('an image file changed: nothing is copied, initdb makes the folder', async () => {
    const imageDir = imageCopy('changed', (dir) => {
      const control = join(dir, 'pgdata', 'global', 'pg_control')
      const bytes = readFileSync(control)
      bytes[16] = (bytes[16] ?? 0) ^ 0xff
      writeFileSync(control, bytes)
    })
    mkdirSync(join(root, 'unused'))
    assert.equal(copyPgliteImage(imageDir, join(root, 'unused', 'pgdata')), false)
    assert.deepEqual(readdirSync(join(root, 'unused')), [], 'nothing left behind')
    await openSeedReopen(join(root, 'from-changed'), imageDir, 'initdb')
  })

  test('a copied folder PGlite cannot open: it goes, initdb makes the folder', async () => {
    // A manifest that matches a broken folder: the copy succeeds, the open fails.
    const imageDir = join(root, 'broken')
    await makePgliteImage(imageDir, async (pgdata) => {
      cpSync(join(defaultPgliteImageDir, 'pgdata'), pgdata, { recursive: true })
      const control = join(pgdata, 'global', 'pg_control')
      const bytes = readFileSync(control)
      bytes[16] = (bytes[16] ?? 0) ^ 0xff
      writeFileSync(control, bytes)
    })
    const unused = join(root, 'unused-broken')
    mkdirSync(unused)
    assert.equal(copyPgliteImage(imageDir, join(unused, 'pgdata')), true)
    await openSeedReopen(join(root, 'from-broken'), imageDir, 'initdb')
  })

  test('no image, or one another PGlite made: not used', () => {
    const target = join(root, 'target')
    mkdirSync(target)
    assert.equal(copyPgliteImage(join(root, 'no-image'), join(target, 'pgdata')), false)
    const otherVersion = imageCopy('other-version', (dir) => {
      const manifestFile = join(dir, 'manifest.json')
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { pglite: string }
      writeFileSync(manifestFile, JSON.stringify({ ...manifest, pglite: '0.0.0' }))
    })
    assert.equal(copyPgliteImage(otherVersion, join(target, 'pgdata')), false)
    const fileMissing = imageCopy('file-missing', (dir) =>
      rmSync(join(dir, 'pgdata', 'PG_VERSION')),
    )
    assert.equal(copyPgliteImage(fileMissing, join(target, 'pgdata')), false)
    assert.deepEqual(readdirSync(target), [], 'nothing left behind')
    assert.equal(copyPgliteImage(defaultPgliteImageDir, join(target, 'pgdata')), true)
    assert.ok(existsSync(join(target, 'pgdata', 'PG_VERSION')))
  })
})
