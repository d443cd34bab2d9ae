import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { type Database, openDatabase } from '../../src/db/database.js'
import { clusterUnavailable, PgCluster } from '../support/pg-cluster.js'
import { eventually } from '../support/poll.js'

/**
 * A LISTEN connection lost to a PostgreSQL restart is made again by itself: `onLost`
 * when it goes, then (listening again) one `onNotify` for what was missed and
 * `onRestored`; notifications after that arrive as before.
 */

let cluster: PgCluster | undefined
let database: Database | undefined

before(async () => {
  if (clusterUnavailable) return
  cluster = await PgCluster.create()
  database = await openDatabase({ databaseUrl: cluster.url, dataDir: '' })
})
after(async () => {
  await database?.close()
  await cluster?.destroy()
})

test('LISTEN survives a PostgreSQL restart', { skip: clusterUnavailable }, async () => {
  assert.ok(cluster && database)
  const seen: string[] = []
  await database.listen(
    'keysmith_test_channel',
    () => seen.push('notify'),
    () => seen.push('lost'),
    () => seen.push('restored'),
  )
  const notify = () =>
    sql`select pg_notify('keysmith_test_channel', '')`.execute(database?.db ?? assert.fail())
  await notify()
  await eventually(async () => (seen.includes('notify') ? true : undefined), { what: 'a NOTIFY' })

  await cluster.stop('fast')
  await eventually(async () => (seen.includes('lost') ? true : undefined), { what: 'onLost' })
  await cluster.start()
  await eventually(async () => (seen.includes('restored') ? true : undefined), {
    timeoutMs: 15_000,
    what: 'onRestored',
  })
  assert.deepEqual(seen, ['notify', 'lost', 'notify', 'restored'])

  // Listening again: a NOTIFY after the restart arrives (through a pool made afresh).
  await eventually(
    async () => {
      try {
        await notify()
        return true
      } catch {
        return undefined
      }
    },
    { what: 'the pool to connect again' },
  )
  await eventually(async () => (seen.length >= 5 ? true : undefined), { what: 'the next NOTIFY' })
  assert.equal(seen[4], 'notify')
})
