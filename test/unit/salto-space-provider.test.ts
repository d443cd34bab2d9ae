import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { CreateCredentialBody } from '../../src/providers/access-system.js'
import { saltoSpace } from '../../src/providers/salto-space/index.js'

/** The Salto Space rules that need no database: reading `salto_space_metadata`, its card. */

const provider = saltoSpace({ sandboxActionDelayMs: 0 })
const body = (metadata?: Record<string, unknown>): CreateCredentialBody =>
  ({
    acs_user_id: '00000000-0000-4000-8000-000000000001',
    access_method: 'card',
    ...(metadata ? { salto_space_metadata: metadata } : {}),
  }) as CreateCredentialBody

describe('Salto Space provider', () => {
  test('assign_new_key: true or left out assigns a new card, false updates the existing one', () => {
    assert.equal(
      provider.readCredentialRequest(body({ assign_new_key: true })).existing?.update,
      false,
    )
    assert.equal(provider.readCredentialRequest(body()).existing?.update, false)
    assert.equal(
      provider.readCredentialRequest(body({ assign_new_key: false })).existing?.update,
      true,
    )
    // The undocumented update_current_key is the opposite of assign_new_key.
    assert.equal(
      provider.readCredentialRequest(body({ update_current_key: true })).existing?.update,
      true,
    )
    assert.match(
      provider.readCredentialRequest(body({ assign_new_key: true, update_current_key: true }))
        .problem?.message ?? '',
      /contradict/,
    )
  })

  test("the guide's assign_new_card is refused, naming assign_new_key", () => {
    const read = provider.readCredentialRequest(body({ assign_new_card: true }))
    assert.equal(read.problem?.parameter, 'salto_space_metadata')
    assert.match(read.problem?.message ?? '', /assign_new_key/)
  })

  test('traits: access by groups, one card per user, cards encoded', () => {
    assert.equal(provider.externalType, 'salto_space_system')
    assert.deepEqual(provider.traits.onePerUser, ['card'])
    assert.equal(provider.traits.accessGroups?.type, 'salto_space_group')
    assert.equal(provider.traits.credentials.card?.type, 'salto_space_key')
    assert.equal(provider.traits.user?.type, 'salto_space_user')
    assert.equal(provider.traits.encodesCards, true)
    assert.ok(provider.encoderDriver(true))
    assert.equal(provider.encoderDriver(false), undefined)
    const groups = provider.sandboxSite?.accessGroups ?? []
    const doors = new Set(provider.sandboxSite?.doors.map((d) => d.name))
    assert.ok(groups.length >= 2)
    for (const group of groups) for (const door of group.doors) assert.ok(doors.has(door), door)
  })

  test('a card whose doors differ from the credential is out of sync on acs_entrance_ids', () => {
    const card = {
      card_number: '04AABBCCDDEEFF',
      card_format: 'mifare_desfire' as const,
      contents: {
        acs_credential_id: 'c',
        card_holder: 'Jane Doe',
        salto_space_key_id: '1',
        salto_space_card_id: '1',
        starts_at: '2025-03-01T09:00:00.000Z',
        ends_at: null,
        acs_entrance_ids: ['a', 'b'],
        written_at: '2025-03-01T09:00:00.000Z',
      },
    }
    const onEncoder = provider.readCard(card, new Date(), undefined)
    const onSeam = {
      is_issued: true,
      card_number: card.card_number,
      starts_at: '2025-03-01T09:00:00.000Z',
      ends_at: null,
    } as unknown as Parameters<typeof provider.outOfSyncProperties>[1]
    const entrance = (id: string) =>
      ({ acs_entrance_id: id }) as unknown as Parameters<
        typeof provider.outOfSyncProperties
      >[2]['entrances'][number]
    assert.deepEqual(
      provider.outOfSyncProperties(onEncoder, onSeam, {
        card,
        entrances: [entrance('a'), entrance('b')],
      }),
      [],
    )
    assert.deepEqual(
      provider.outOfSyncProperties(onEncoder, onSeam, { card, entrances: [entrance('a')] }),
      ['acs_entrance_ids'],
    )
  })
})
