import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthCache, type CachedApiKey } from '../../src/domain/auth-cache.js'

const key = (id: string): CachedApiKey => ({
  api_key_id: id,
  workspace_id: `workspace-${id}`,
  is_sandbox: false,
})

const counting = (value: CachedApiKey | undefined) => {
  let loads = 0
  return {
    load: async () => {
      loads++
      return value
    },
    get loads() {
      return loads
    },
  }
}

test('disabled until enabled: every lookup loads', async () => {
  const cache = new AuthCache()
  const source = counting(key('a'))
  await cache.apiKey('hash-a', source.load)
  await cache.apiKey('hash-a', source.load)
  assert.equal(source.loads, 2)
})

test('enabled: a known key is loaded once; unknown tokens are never kept', async () => {
  const cache = new AuthCache()
  cache.enable()
  const known = counting(key('a'))
  assert.deepEqual(await cache.apiKey('hash-a', known.load), key('a'))
  assert.deepEqual(await cache.apiKey('hash-a', known.load), key('a'))
  assert.equal(known.loads, 1)
  const unknown = counting(undefined)
  assert.equal(await cache.apiKey('hash-x', unknown.load), undefined)
  assert.equal(await cache.apiKey('hash-x', unknown.load), undefined)
  assert.equal(unknown.loads, 2)
  // Each hash answers its own key only.
  const other = counting(key('b'))
  assert.deepEqual(await cache.apiKey('hash-b', other.load), key('b'))
  assert.deepEqual(await cache.apiKey('hash-a', known.load), key('a'))
})

test('an invalidation drops every entry; a lookup that raced it is not kept', async () => {
  const cache = new AuthCache()
  cache.enable()
  const source = counting(key('a'))
  await cache.apiKey('hash-a', source.load)
  cache.invalidate()
  await cache.apiKey('hash-a', source.load)
  assert.equal(source.loads, 2)
  // A load that read the row before a revocation committed, and ends after its NOTIFY.
  let release: (() => void) | undefined
  const raced = cache.apiKey(
    'hash-r',
    () =>
      new Promise<CachedApiKey>((resolve) => {
        release = () => resolve(key('r'))
      }),
  )
  cache.invalidate()
  release?.()
  assert.deepEqual(await raced, key('r'))
  const after = counting(undefined)
  assert.equal(await cache.apiKey('hash-r', after.load), undefined)
  assert.equal(after.loads, 1)
})

test('disabled while the listener is lost, caching again once it listens again', async () => {
  const cache = new AuthCache()
  cache.enable()
  const source = counting(key('a'))
  await cache.apiKey('hash-a', source.load)
  cache.disable()
  assert.equal(cache.size, 0)
  await cache.apiKey('hash-a', source.load)
  await cache.apiKey('hash-a', source.load)
  assert.equal(source.loads, 3)
  cache.invalidate()
  cache.enable()
  await cache.apiKey('hash-a', source.load)
  await cache.apiKey('hash-a', source.load)
  assert.equal(source.loads, 4)
})
