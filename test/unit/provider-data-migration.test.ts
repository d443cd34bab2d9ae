import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, sql } from 'kysely'
import { up as core } from '../../src/db/migrations/0001_core.js'
import { up as providerData } from '../../src/db/migrations/0007_provider_data.js'

/**
 * Migration 0007 keeps every value it moves: brand-named columns become entries of
 * `provider_data` keyed by provider, and the simulate columns `sandbox_state`.
 */

const workspace = '5a3d8f0e-7c41-4b6e-9f2a-1d0c8e4b7a63'
const account = '11111111-1111-1111-1111-222222222222'
const system = '11111111-1111-1111-1111-111111111111'
const card = 'a383871c-331a-42ae-af66-146824505187'
const sqlNull = '0fc82df4-391b-4d00-a234-86378f1c3952'
const jsonNull = '48ebfb50-c531-43c5-b9ea-409f26dabbd7'
const encoder = '18ad521a-308e-4182-b1a6-2338b46a2763'
const idle = 'b062df92-91c6-482c-a3f9-6e578f062d36'

describe('migration 0007_provider_data', () => {
  let pglite: PGlite
  let db: Kysely<unknown>

  before(async () => {
    pglite = new PGlite()
    db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) })
    await core(db)
    const at = sql`'2025-07-14T12:00:00Z'::timestamptz`
    await sql`insert into workspaces values (${workspace}, 'W', 'W', true, ${at})`.execute(db)
    await sql`insert into connected_accounts values (${account}, ${workspace}, 'a', 'A', 'A', ${at})`.execute(
      db,
    )
    await sql`insert into acs_systems (acs_system_id, workspace_id, connected_account_id, name,
      external_type, external_type_display_name, visionline_metadata, created_at)
      values (${system}, ${workspace}, ${account}, 'Hotel', 'visionline_system', 'Visionline',
        '{"lan_address":"https://192.168.1.100","system_id":"1"}'::jsonb, ${at})`.execute(db)
    const credential = (id: string, data: ReturnType<typeof sql>) =>
      sql`insert into acs_credentials (acs_credential_id, workspace_id, connected_account_id,
        acs_system_id, access_method, is_multi_phone_sync_credential, visionline, created_at, updated_at)
        values (${id}, ${workspace}, ${account}, ${system}, 'card', false, ${data}, ${at}, ${at})`.execute(
        db,
      )
    await credential(
      card,
      sql`'{"card_format":"rfid48","credential_id":"3","issued_card_count":1,"override":true}'::jsonb`,
    )
    await credential(sqlNull, sql`null`)
    await credential(jsonNull, sql`'null'::jsonb`)
    await sql`insert into acs_encoders (acs_encoder_id, workspace_id, connected_account_id,
      acs_system_id, display_name, next_encode, next_scan, created_at)
      values (${encoder}, ${workspace}, ${account}, ${system}, 'Front Desk',
        '{"outcome":"error","error_code":"no_credential_on_encoder"}'::jsonb, 'null'::jsonb, ${at}),
        (${idle}, ${workspace}, ${account}, ${system}, 'Back Office', null, null, ${at})`.execute(
      db,
    )
    await providerData(db)
  })
  after(async () => {
    await db.destroy()
  })

  const rows = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows

  test('credential data moves under its provider key; no data becomes {}', async () => {
    const found = await rows<{ acs_credential_id: string; provider_data: unknown }>(
      sql`select acs_credential_id, provider_data from acs_credentials order by acs_credential_id`,
    )
    assert.deepEqual(Object.fromEntries(found.map((r) => [r.acs_credential_id, r.provider_data])), {
      [card]: {
        visionline: {
          card_format: 'rfid48',
          credential_id: '3',
          issued_card_count: 1,
          override: true,
        },
      },
      [sqlNull]: {},
      [jsonNull]: {},
    })
  })

  test('system metadata moves under its provider key', async () => {
    const [found] = await rows<{ provider_data: unknown }>(
      sql`select provider_data from acs_systems`,
    )
    assert.deepEqual(found?.provider_data, {
      visionline: { lan_address: 'https://192.168.1.100', system_id: '1' },
    })
  })

  test('simulations move into sandbox_state', async () => {
    const found = await rows<{ acs_encoder_id: string; sandbox_state: unknown }>(
      sql`select acs_encoder_id, sandbox_state from acs_encoders`,
    )
    assert.deepEqual(Object.fromEntries(found.map((r) => [r.acs_encoder_id, r.sandbox_state])), {
      [encoder]: { next_encode: { outcome: 'error', error_code: 'no_credential_on_encoder' } },
      [idle]: {},
    })
  })

  test('the brand-named columns are gone', async () => {
    const columns = await rows<{ column_name: string }>(
      sql`select column_name from information_schema.columns
        where table_name in ('acs_credentials', 'acs_systems', 'acs_encoders')`,
    )
    const names = columns.map((c) => c.column_name)
    for (const old of ['visionline', 'visionline_metadata', 'next_encode', 'next_scan']) {
      assert.ok(!names.includes(old), `${old} is dropped`)
    }
  })
})
