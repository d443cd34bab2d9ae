import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AcsEntranceWithExtras, AcsSystemWithBridgeFlag } from '../../src/db/acs-systems.js'
import { CatalogCache } from '../../src/domain/catalog-cache.js'

const rowsOf = (workspaceId: string) =>
  [
    { acs_system_id: `system-of-${workspaceId}`, workspace_id: workspaceId },
  ] as unknown as AcsSystemWithBridgeFlag[]

const counting = (workspaceId: string) => {
  let loads = 0
  return {
    load: async () => {
      loads++
      return rowsOf(workspaceId)
    },
    get loads() {
      return loads
    },
  }
}

test('disabled until enabled: every read loads', async () => {
  const cache = new CatalogCache()
  const source = counting('w1')
  await cache.systemsOf('w1', source.load)
  await cache.systemsOf('w1', source.load)
  assert.equal(source.loads, 2)
  assert.equal(cache.size, 0)
})

test('enabled: each workspace is loaded once and answers only for itself', async () => {
  const cache = new CatalogCache()
  cache.enable()
  const one = counting('w1')
  const two = counting('w2')
  assert.deepEqual(await cache.systemsOf('w1', one.load), rowsOf('w1'))
  assert.deepEqual(await cache.systemsOf('w1', one.load), rowsOf('w1'))
  assert.deepEqual(await cache.systemsOf('w2', two.load), rowsOf('w2'))
  assert.equal(one.loads, 1)
  assert.equal(two.loads, 1)
})

test('an invalidation forgets everything; a load that raced it is not kept', async () => {
  const cache = new CatalogCache()
  cache.enable()
  const source = counting('w1')
  await cache.systemsOf('w1', source.load)
  cache.invalidate()
  await cache.systemsOf('w1', source.load)
  assert.equal(source.loads, 2)

  // A read that started before a change and finished after its notification.
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const racing = cache.systemsOf('w3', async () => {
    await gate
    return rowsOf('w3-stale')
  })
  cache.invalidate()
  release()
  assert.deepEqual(await racing, rowsOf('w3-stale'))
  const fresh = counting('w3')
  assert.deepEqual(await cache.systemsOf('w3', fresh.load), rowsOf('w3'))
  assert.equal(fresh.loads, 1, 'the raced read was not kept')
})

test('disabled again (LISTEN lost): nothing is served from the process', async () => {
  const cache = new CatalogCache()
  cache.enable()
  const source = counting('w1')
  await cache.systemsOf('w1', source.load)
  cache.disable()
  await cache.systemsOf('w1', source.load)
  assert.equal(source.loads, 2)
  assert.equal(cache.size, 0)
})

test('entrances and encoders are kept beside systems and go with the same invalidation', async () => {
  const cache = new CatalogCache()
  cache.enable()
  let loads = 0
  const entrances = async () => {
    loads++
    return [] as AcsEntranceWithExtras[]
  }
  const encoders = async () => {
    loads++
    return null
  }
  const systems = counting('w1')
  for (let i = 0; i < 2; i++) {
    await cache.systemsOf('w1', systems.load)
    assert.deepEqual(await cache.entrancesOf('w1', entrances), [])
    // null (too many to keep) is kept too: the lists then go to the database.
    assert.equal(await cache.encodersOf('w1', encoders), null)
  }
  assert.equal(loads, 2)
  assert.equal(systems.loads, 1)
  cache.invalidate()
  await cache.entrancesOf('w1', entrances)
  await cache.encodersOf('w1', encoders)
  await cache.systemsOf('w1', systems.load)
  assert.equal(loads, 4)
  assert.equal(systems.loads, 2)
  cache.disable()
  await cache.entrancesOf('w1', entrances)
  assert.equal(loads, 5)
  assert.equal(cache.size, 0)
})
