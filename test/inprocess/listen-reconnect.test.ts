import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { type Database, openDatabase } from '../../src/db/database.js'
import { clusterUnavailable, PgCluster } from '../support/pg-cluster.js'
import { eventually } from '../support/poll.js'

/**
 * A LISTEN connection lost to a PostgreSQL restart is made again by itself: `onLost`
 * when it goes, then (listening again) one `onNotify` for what was missed and
 * `onRestored`; notifications after that arrive as before. Every channel shares that
 * one connection, each hearing only its own notifications.
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
  const other: string[] = []
  await database.listen(
    'keysmith_other_channel',
    () => other.push('notify'),
    () => other.push('lost'),
    () => other.push('restored'),
  )
  const listening = await sql<{ n: string }>`
    select count(*) as n from pg_stat_activity
    where query ilike 'listen %' and pid <> pg_backend_pid()`.execute(database.db)
  assert.equal(Number(listening.rows[0]?.n), 1, 'both channels on one connection')
  const notify = () =>
    sql`select pg_notify('keysmith_test_channel', '')`.execute(database?.db ?? assert.fail())
  await notify()
  await eventually(async () => (seen.includes('notify') ? true : undefined), { what: 'a NOTIFY' })
  await sql`select pg_notify('keysmith_other_channel', '')`.execute(database.db)
  await eventually(async () => (other.length > 0 ? true : undefined), { what: 'the other NOTIFY' })
  assert.deepEqual(seen, ['notify'], 'a channel hears only its own notifications')
  assert.deepEqual(other, ['notify'])

  await cluster.stop('fast')
  await eventually(async () => (seen.includes('lost') ? true : undefined), { what: 'onLost' })
  await cluster.start()
  await eventually(async () => (seen.includes('restored') ? true : undefined), {
    timeoutMs: 15_000,
    what: 'onRestored',
  })
  assert.deepEqual(seen, ['notify', 'lost', 'notify', 'restored'])
  await eventually(async () => (other.includes('restored') ? true : undefined), {
    what: 'the other channel restored',
  })
  assert.deepEqual(other, ['notify', 'lost', 'notify', 'restored'])

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
