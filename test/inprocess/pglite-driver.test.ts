import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, sql } from 'kysely'
import { withCatalogWatch } from '../../src/db/catalog-watch.js'
import { preparedPgliteDialect } from '../../src/db/pglite-driver.js'

/**
 * The embedded database's driver (src/db/pglite-driver.ts): named prepared statements
 * in one call each, results read as PGlite's own `query` reads them, errors with
 * PostgreSQL's codes, a stale plan run again unnamed, and one piece of work at a time
 * on the one session.
 */

interface Row {
  id: number
  name: string
  at: Date
  data: unknown
  big: string | number | bigint
  flags: boolean[]
  note: string | null
}

interface TestDB {
  things: Row
}

describe('PGlite driver with prepared statements', () => {
  let pglite: PGlite
  let db: Kysely<TestDB>

  before(async () => {
    pglite = await PGlite.create()
    await pglite.exec(`create table things (
      id int primary key, name text not null, at timestamptz not null, data jsonb not null,
      big int8 not null, flags boolean[] not null, note text)`)
    db = new Kysely<TestDB>({ dialect: preparedPgliteDialect(pglite) })
  })
  after(async () => {
    await db?.destroy()
  })

  const at = new Date('2026-12-01T10:11:12.345Z')
  const thing = (id: number) => ({
    id,
    name: `thing ${id}`,
    at,
    data: JSON.stringify({ nested: { id }, list: [1, 'two'] }),
    big: '9007199254740993',
    flags: [true, false],
    note: id % 2 ? null : 'even',
  })

  test('rows come back as PGlite’s own query returns them', async () => {
    await db
      .insertInto('things')
      .values([thing(1), thing(2), thing(3)])
      .execute()
    const text = 'select * from things where id >= $1 order by id'
    const ours = await sql.raw<Row>(text.replace('$1', '2')).execute(db)
    const viaKysely = await db
      .selectFrom('things')
      .selectAll()
      .where('id', '>=', 2)
      .orderBy('id')
      .execute()
    const theirs = await pglite.query<Row>(text, [2])
    assert.deepEqual(viaKysely, theirs.rows)
    assert.deepEqual(ours.rows, theirs.rows)
    assert.ok(viaKysely[0]?.at instanceof Date)
    assert.equal(viaKysely[0]?.at.toISOString(), at.toISOString())
    assert.deepEqual(viaKysely[0]?.data, { nested: { id: 2 }, list: [1, 'two'] })
    assert.deepEqual(viaKysely[0]?.flags, [true, false])
    assert.equal(viaKysely[1]?.note, null)
  })

  test('a statement with parameters is prepared once under a name', async () => {
    for (let i = 0; i < 7; i++) {
      const row = await db
        .selectFrom('things')
        .select('name')
        .where('id', '=', 1 + (i % 3))
        .executeTakeFirstOrThrow()
      assert.equal(row.name, `thing ${1 + (i % 3)}`)
    }
    const prepared = await pglite.query<{ name: string; statement: string }>(
      "select name, statement from pg_prepared_statements where name like 'ksl_%'",
    )
    const mine = prepared.rows.filter((r) => r.statement.includes('"name" from "things"'))
    assert.equal(mine.length, 1, JSON.stringify(prepared.rows))
  })

  test('updates report their rows; errors carry PostgreSQL codes and leave the session usable', async () => {
    const updated = await db
      .updateTable('things')
      .set({ note: 'changed' })
      .where('id', '<', 3)
      .executeTakeFirst()
    assert.equal(updated.numUpdatedRows, 2n)
    await assert.rejects(db.insertInto('things').values(thing(1)).execute(), (error: unknown) => {
      assert.equal((error as { code?: string }).code, '23505')
      return true
    })
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('things').values(thing(10)).execute()
        await tx.insertInto('things').values(thing(10)).execute()
      }),
      (error: unknown) => (error as { code?: string }).code === '23505',
    )
    const ids = await db.selectFrom('things').select('id').orderBy('id').execute()
    assert.deepEqual(
      ids.map((r) => r.id),
      [1, 2, 3],
      'the failed transaction left nothing',
    )
  })

  test('a plan made stale by a changed table fails once, then runs unnamed', async () => {
    const read = () => db.selectFrom('things').selectAll().where('id', '=', 1).execute()
    await read()
    await pglite.exec('alter table things add column extra text')
    // PostgreSQL re-plans a named statement whose table changed, unless its result
    // columns changed ("cached plan must not change result type").
    const outcome = await read().then(
      () => 'ran',
      (error: unknown) => String((error as Error).message),
    )
    assert.ok(outcome === 'ran' || outcome.includes('cached plan'), outcome)
    const again = await read()
    assert.equal(again.length, 1)
    assert.ok('extra' in (again[0] ?? {}))
  })

  test('statements sent together in one transaction each get their own answer', async () => {
    await db.transaction().execute(async (tx) => {
      const texts = Array.from({ length: 12 }, (_, i) => i)
      const answers = await Promise.all(
        texts.map((i) =>
          i % 3 === 0
            ? tx
                .selectFrom('things')
                .select(['id', 'at'])
                .where('id', '=', 1 + (i % 3))
                .where('at', '<=', new Date())
                .execute()
            : i % 3 === 1
              ? sql<{
                  n: number
                }>`select ${i}::int as n, ${new Date(0)}::timestamptz as at`.execute(tx)
              : tx
                  .selectFrom('things')
                  .select('name')
                  .where('id', 'in', [2, 3])
                  .orderBy('id')
                  .execute(),
        ),
      )
      answers.forEach((answer, i) => {
        const rows = 'rows' in answer ? answer.rows : answer
        if (i % 3 === 0)
          assert.deepEqual(
            (rows as { id: number }[]).map((r) => r.id),
            [1],
          )
        else if (i % 3 === 1) assert.equal((rows as { n: number }[])[0]?.n, i)
        else assert.deepEqual(rows, [{ name: 'thing 2' }, { name: 'thing 3' }])
      })
    })
  })

  test('one piece of work at a time: a statement waits for a transaction to end', async () => {
    const order: string[] = []
    let letGo: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      letGo = resolve
    })
    const transaction = db.transaction().execute(async (tx) => {
      await tx.updateTable('things').set({ note: 'in transaction' }).where('id', '=', 3).execute()
      order.push('transaction wrote')
      await held
      order.push('transaction commits')
    })
    // Started while the transaction holds the session: it sees the committed row.
    await new Promise((resolve) => setTimeout(resolve, 10))
    const outside = db
      .selectFrom('things')
      .select('note')
      .where('id', '=', 3)
      .executeTakeFirstOrThrow()
      .then((row) => {
        order.push(`outside read ${row.note}`)
      })
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepEqual(order, ['transaction wrote'])
    letGo()
    await Promise.all([transaction, outside])
    assert.deepEqual(order, [
      'transaction wrote',
      'transaction commits',
      'outside read in transaction',
    ])
  })

  test('a watched transaction that wrote reads the catalog mark and commits in one exchange', async () => {
    let changes = 0
    const own = await PGlite.create()
    await own.exec(`create table things (
      id int primary key, name text not null, at timestamptz not null, data jsonb not null,
      big int8 not null, flags boolean[] not null, note text)`)
    const watched = new Kysely<TestDB>({
      dialect: withCatalogWatch(preparedPgliteDialect(own), {
        onChange: () => {
          changes++
        },
      }),
    })
    const exchange = own.execProtocolStream.bind(own)
    let exchanges = 0
    own.execProtocolStream = (...args: Parameters<PGlite['execProtocolStream']>) => {
      exchanges++
      return exchange(...args)
    }
    try {
      await watched.transaction().execute(async (tx) => {
        await tx.insertInto('things').values(thing(40)).execute()
        await sql`select set_config('keysmith.catalog_changed', 'on', true)`.execute(tx)
        exchanges = 0
      })
      assert.equal(exchanges, 1, 'the mark and the commit in one exchange')
      assert.equal(changes, 1, 'the mark was read')
      // Committed, and the session is out of the transaction: a rollback now undoes nothing.
      await assert.rejects(
        watched.transaction().execute(async (tx) => {
          await tx.deleteFrom('things').where('id', '=', 40).execute()
          throw new Error('undo')
        }),
        /undo/,
      )
      const { rows } = await own.query<{ n: number }>(
        'select count(*)::int as n from things where id = 40',
      )
      assert.equal(rows[0]?.n, 1)
    } finally {
      own.execProtocolStream = exchange
      await watched.destroy()
    }
  })
})
