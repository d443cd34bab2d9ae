import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateApiKey, hashToken } from '../../src/domain/workspaces.js'
import { ApiKeyCache } from '../../src/http/auth.js'

test('API keys look like Seam API keys and are kept as hashes', () => {
  const key = generateApiKey()
  assert.match(key, /^seam_ks_[A-Za-z0-9_-]{32}$/)
  assert.notEqual(generateApiKey(), key)
  assert.match(hashToken(key), /^[0-9a-f]{64}$/)
  assert.equal(hashToken(key), hashToken(key))
})

test('the API key cache forgets entries after their time and when full', () => {
  const cache = new ApiKeyCache(100, 2)
  const scope = { workspace_id: 'w', is_sandbox: true }
  cache.set('a', scope, 0)
  assert.deepEqual(cache.get('a', 99), scope)
  assert.equal(cache.get('a', 100), undefined)
  cache.set('a', scope, 0)
  cache.set('b', scope, 0)
  cache.set('c', scope, 0)
  assert.equal(cache.get('a', 1), undefined)
  assert.deepEqual(cache.get('c', 1), scope)
})
