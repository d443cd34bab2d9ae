import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generatePersonalAccessToken, normalizeEmail } from '../../src/domain/users.js'
import { generateApiKey, hashToken } from '../../src/domain/workspaces.js'

test('API keys look like Seam API keys and are kept as hashes', () => {
  const key = generateApiKey()
  assert.match(key, /^seam_ks_[A-Za-z0-9_-]{32}$/)
  assert.notEqual(generateApiKey(), key)
  assert.match(hashToken(key), /^[0-9a-f]{64}$/)
  assert.equal(hashToken(key), hashToken(key))
})

test('personal access tokens start with seam_at, as the official SDK checks', () => {
  const token = generatePersonalAccessToken()
  assert.match(token, /^seam_at1_[A-Za-z0-9_-]{32}$/)
  assert.notEqual(generatePersonalAccessToken(), token)
})

test('emails are compared in lowercase, and must look like emails', () => {
  assert.equal(normalizeEmail(' Jane@Hotel.Example '), 'jane@hotel.example')
  for (const bad of ['', 'jane', 'jane@', '@hotel.example', 'ja ne@hotel.example']) {
    assert.throws(() => normalizeEmail(bad), /is not an email address/)
  }
})
