import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PreparingClient } from '../../src/db/prepared-statements.js'
import { databaseKinds, type TestDatabase } from '../support/databases.js'

/**
 * On PostgreSQL every parameterised statement runs as a named prepared statement
 * (parsed and planned once per connection); statements without parameters run as
 * before; a statement whose table changed under it fails once and runs unnamed from
 * then on. PostgreSQL only: PGlite runs in process with its own protocol.
 */

const postgres = databaseKinds.find((kind) => kind.name === 'postgres')
let database: TestDatabase | undefined
let client: PreparingClient | undefined

before(async () => {
  if (!postgres) return
  database = await postgres.create()
  client = new PreparingClient({ connectionString: database.env.DATABASE_URL })
  await client.connect()
})
after(async () => {
  await client?.end()
  await database?.drop()
})

const prepared = async (c: PreparingClient): Promise<string[]> => {
  const { rows } = (await c.query(
    "select name from pg_prepared_statements where name like 'ks\\_%' order by name",
  )) as unknown as { rows: { name: string }[] }
  return rows.map((row) => row.name)
}

test('parameterised statements are prepared once, by name', { skip: !postgres }, async () => {
  assert.ok(client)
  assert.deepEqual(await prepared(client), [])
  const text = 'select $1::int + 1 as n'
  for (const value of [1, 2, 3]) {
    const result = (await client.query(text, [value])) as unknown as { rows: { n: number }[] }
    assert.equal(result.rows[0]?.n, value + 1)
  }
  const names = await prepared(client)
  assert.equal(names.length, 1, 'one statement, prepared once')
  // Statements without parameters (begin, commit, DDL) are not prepared.
  await client.query('select 1')
  assert.deepEqual(await prepared(client), names)
})

test('a statement whose table changed fails once, then runs unnamed', {
  skip: !postgres,
}, async () => {
  assert.ok(client)
  await client.query('create table plan_change (id int primary key)')
  await client.query('insert into plan_change values (1)')
  const text = 'select * from plan_change where id = $1'
  await client.query(text, [1])
  await client.query('alter table plan_change add column note text')
  await assert.rejects(client.query(text, [1]), /cached plan must not change result type/)
  const after = (await client.query(text, [1])) as unknown as { rows: object[] }
  assert.deepEqual(after.rows, [{ id: 1, note: null }])
})
