import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

/**
 * No brand name outside its provider's folder: everything that differs between
 * access systems lives in src/providers/<system>/, and the core asks the registry.
 * The brands are the provider folders themselves (`salto-ks` guards "salto"), so a
 * new folder is guarded as soon as it exists. Exempt: the registry, which names
 * each provider's folder in one import line, and migrations, which are history (the
 * one that moved brand-named columns into `provider_data` names them).
 */

const root = fileURLToPath(new URL('../../../', import.meta.url))
const src = join(root, 'src')
const providersDir = join(src, 'providers')

const brandFolders = readdirSync(providersDir).filter((name) =>
  statSync(join(providersDir, name)).isDirectory(),
)
/** Folders of things shared by every provider, not access systems. */
const sharedFolders = new Set(['sandbox'])
/**
 * The word that names a brand: the folder's first word, except for Keysmith's own
 * system, whose first word is the product's name (everywhere): its brand is the
 * whole "Keysmith Cards" (`keysmith cards verify` and `bridge cards place|take`, commands, are not the brand).
 */
const firstWord = (folder: string): string => folder.split('-')[0] ?? folder
/**
 * ASSA ABLOY makes Visionline too, whose folder does not carry the maker's name: the
 * word guarding Vostio is its own name, so the maker's name may appear in Visionline's.
 */
const ownWord: Record<string, string> = { 'assa-abloy-vostio': 'vostio' }
const brandWord = (folder: string): string =>
  folder === 'keysmith-cards'
    ? 'keysmith[_-]cards|keysmith cards(?! (verify|place|take))'
    : (ownWord[folder] ?? firstWord(folder))
const systemFolders = brandFolders.filter((folder) => !sharedFolders.has(folder))
/**
 * A maker with several systems (Salto KS, Salto Space) is one brand word guarding
 * all of its folders; each system's full name (`salto[ _-]?space`) must also stay out
 * of its siblings' folders.
 */
const brands = [
  ...systemFolders.map((folder) => ({
    folder,
    word: brandWord(folder),
    home: systemFolders.filter((other) => firstWord(other) === firstWord(folder)),
  })),
  ...systemFolders
    .filter((folder) =>
      systemFolders.some((o) => o !== folder && firstWord(o) === firstWord(folder)),
    )
    .map((folder) => ({ folder, word: folder.split('-').join('[ _-]?'), home: [folder] })),
]

const exempt = (path: string): boolean =>
  path === join('src', 'providers', 'index.ts') || path.startsWith(join('src', 'db', 'migrations'))

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') ? [path] : []
  })

describe('provider boundaries', () => {
  test('the access systems are the provider folders', () => {
    assert.deepEqual(systemFolders.sort(), [
      'assa-abloy-vostio',
      'dormakaba-ambiance',
      'keysmith-cards',
      'salto-ks',
      'salto-space',
      'visionline',
    ])
  })

  test('no brand name appears in src/ outside its provider folder', () => {
    const offences: string[] = []
    for (const file of sourceFiles(src)) {
      const path = relative(root, file)
      if (exempt(path)) continue
      const lines = readFileSync(file, 'utf8').split('\n')
      for (const { word, home } of brands) {
        if (home.some((folder) => path.startsWith(join('src', 'providers', folder) + sep))) continue
        const pattern = new RegExp(word, 'i')
        lines.forEach((line, index) => {
          if (pattern.test(line))
            offences.push(`${path}:${index + 1} names ${word}: ${line.trim()}`)
        })
      }
    }
    assert.deepEqual(offences, [])
  })
})
