import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { assertResource } from '../support/contract.js'
import { eventually } from '../support/poll.js'
import { hotel } from '../support/sandbox.js'
import { sandboxWorkspaceId } from '../support/server.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * Access system rows are kept in each server process (domain/catalog-cache.ts) and
 * dropped on NOTIFY from triggers on the tables behind them, whoever writes: a
 * system created by the `keysmith` command (on PGlite through the running server,
 * on PostgreSQL straight into the database) shows in the next reads, and so does a
 * change made from another connection. Taking a credential number (every card
 * credential advances the system's counter) notifies nothing.
 */
forEachDatabase('access systems kept in the process', (kind) => {
  const server = useServer(kind)

  test('a system created elsewhere shows in the next list and get', async () => {
    const seam = server.current.seam()
    const before = await seam.acs.systems.list()
    await seam.acs.systems.get({ acs_system_id: hotel })
    const created = await server.current.cli([
      'systems',
      'create',
      '--workspace-id',
      sandboxWorkspaceId,
      '--name',
      'Annex Hotel',
    ])
    const id = /Access system: (\S+)/.exec(created)?.[1]
    assert.ok(id, created)
    const listed = await eventually(
      async () => {
        const systems = await seam.acs.systems.list()
        return systems.some((s) => s.acs_system_id === id) ? systems : undefined
      },
      { what: 'the new system in /acs/systems/list' },
    )
    assert.equal(listed.length, before.length + 1)
    for (const system of listed) assertResource('acs_system', system)
    const got = await seam.acs.systems.get({ acs_system_id: id })
    assertResource('acs_system', got)
    assert.equal(got.name, 'Annex Hotel')
  })

  if (kind.name === 'postgres') {
    test('a change from another connection shows; the id counter notifies nothing', async () => {
      const seam = server.current.seam()
      assert.equal(
        (await seam.acs.systems.get({ acs_system_id: hotel })).name,
        'Sandbox Visionline Hotel',
      )
      const url = server.current.env.DATABASE_URL
      assert.ok(url)
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        const heard: string[] = []
        client.on('notification', (n) => heard.push(n.payload ?? ''))
        await client.query('listen keysmith_catalog')
        await client.query(
          'update acs_systems set last_external_number = last_external_number + 1 where acs_system_id = $1',
          [hotel],
        )
        await client.query("select pg_notify('keysmith_catalog', 'marker')")
        await eventually(async () => (heard.includes('marker') ? true : undefined), {
          what: 'the marker notification',
        })
        assert.deepEqual(heard, ['marker'], 'the counter update sent no notification')

        await client.query('update acs_systems set name = $1 where acs_system_id = $2', [
          'Renamed Hotel',
          hotel,
        ])
        await eventually(
          async () =>
            (await seam.acs.systems.get({ acs_system_id: hotel })).name === 'Renamed Hotel'
              ? true
              : undefined,
          { what: 'the renamed system' },
        )
        const listed = await seam.acs.systems.list()
        assert.equal(listed.find((s) => s.acs_system_id === hotel)?.name, 'Renamed Hotel')
      } finally {
        await client.query('update acs_systems set name = $1 where acs_system_id = $2', [
          'Sandbox Visionline Hotel',
          hotel,
        ])
        await client.end()
      }
    })
  }
})
