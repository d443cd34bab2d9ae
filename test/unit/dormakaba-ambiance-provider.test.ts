import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { CreateCredentialBody } from '../../src/providers/access-system.js'
import { dormakabaAmbiance } from '../../src/providers/dormakaba-ambiance/index.js'
import { registryOf } from '../../src/providers/index.js'

/** The dormakaba Ambiance rules that need no database: its traits, its site, its card. */

const provider = dormakabaAmbiance({ sandboxActionDelayMs: 0 })

type OutOfSync = Parameters<typeof provider.outOfSyncProperties>
const entrance = (id: string) =>
  ({ acs_entrance_id: id }) as unknown as OutOfSync[2]['entrances'][0]

describe('dormakaba Ambiance provider', () => {
  test('traits: access by groups, cards encoded, several per user, no remote unlock', () => {
    assert.equal(provider.externalType, 'dormakaba_ambiance_site')
    assert.deepEqual(provider.traits.accessMethods, ['card'])
    assert.equal(provider.traits.credentials.card?.type, 'dormakaba_ambiance_credential')
    assert.equal(provider.traits.accessGroups?.type, 'dormakaba_ambiance_access_group')
    // The document has no Ambiance acs_user external type, and no one-card parameter.
    assert.equal(provider.traits.user, undefined)
    assert.equal(provider.traits.onePerUser, undefined)
    assert.equal(provider.traits.remoteUnlock, false)
    assert.equal(provider.traits.encodesCards, true)
    assert.equal(provider.traits.generatesCodes, false)
    assert.ok(provider.encoderDriver(true))
    assert.equal(provider.encoderDriver(false), undefined)
    assert.equal(provider.canBelongToReservation({ door_category: null }), false)
    assert.equal(registryOf([provider]).forSystem('dormakaba_ambiance_site'), provider)
  })

  test('a credential request has no Ambiance part: nothing to link, nothing to update', () => {
    const read = provider.readCredentialRequest({
      acs_user_id: '00000000-0000-4000-8000-000000000001',
      access_method: 'card',
    } as CreateCredentialBody)
    assert.deepEqual(read.linkedCredentialIds, [])
    assert.equal(read.existing, undefined)
    assert.equal(read.problem, undefined)
  })

  test('the sandbox site: documented ids, unique doors, groups of its own doors', () => {
    const site = provider.sandboxSite
    assert.ok(site)
    assert.deepEqual(Object.values(site.documentedIds ?? {}).sort(), [
      '66666666-6666-6666-6666-111111111111',
      '66666666-6666-6666-6666-222222222222',
      '66666666-6666-6666-6666-333333333333',
      '66666666-6666-6666-6666-444444444444',
      '66666666-6666-6666-6666-555555555555',
    ])
    for (const name of Object.keys(site.documentedIds ?? {})) {
      assert.ok(name.startsWith(site.idPrefix), name)
    }
    assert.equal(
      site.documentedIds?.[`${site.idPrefix}encoder:${site.encoders[0]}`],
      '66666666-6666-6666-6666-555555555555',
    )
    assert.equal(site.account.account_type, 'dormakaba_ambiance')
    const doors = site.doors.map((d) => d.name)
    assert.equal(new Set(doors).size, doors.length)
    for (const door of site.doors) {
      assert.deepEqual(door.metadata, {
        dormakaba_ambiance_metadata: { access_point_name: door.name },
      })
      assert.equal(door.card, true)
      assert.equal(door.code, false)
    }
    assert.deepEqual(
      site.accessGroups?.map((g) => g.name),
      ['Guests', 'Staff'],
    )
    for (const group of site.accessGroups ?? []) {
      for (const door of group.doors) assert.ok(doors.includes(door), door)
    }
  })

  test('a new credential gets the next Ambiance id; encoding records its card', async () => {
    const issued = await provider.newCredential(
      { accessMethod: 'card', code: undefined },
      async () => 7,
    )
    assert.deepEqual(issued, {
      code: null,
      cardNumber: null,
      issuedAtOnce: false,
      data: { credential_id: '7', issued_card_count: 0 },
    })
    const row = { provider_data: { dormakaba_ambiance: issued.data } } as unknown as Parameters<
      typeof provider.afterEncoding
    >[0]
    assert.equal(provider.issuedCardCount(row), 0)
    assert.deepEqual(provider.afterEncoding(row, { externalCardId: '3', issuedCardCount: 1 }), {
      credential_id: '7',
      card_id: '3',
      issued_card_count: 1,
    })
  })

  test('a card whose doors differ from the credential is out of sync on acs_entrance_ids', () => {
    const card = {
      card_number: '04AABBCCDDEEFF',
      card_format: 'mifare_desfire' as const,
      contents: {
        acs_credential_id: 'c',
        card_holder: 'Jane Guest',
        ambiance_credential_id: '1',
        ambiance_card_id: '1',
        starts_at: '2026-03-01T15:00:00.000Z',
        ends_at: null,
        acs_entrance_ids: ['a', 'b'],
        written_at: '2026-03-01T15:00:00.000Z',
      },
    }
    const onEncoder = provider.readCard(card, new Date(), undefined)
    assert.equal(onEncoder.is_issued, true)
    const onSeam = {
      is_issued: true,
      card_number: card.card_number,
      starts_at: '2026-03-01T15:00:00.000Z',
      ends_at: null,
    } as unknown as OutOfSync[1]
    assert.deepEqual(
      provider.outOfSyncProperties(onEncoder, onSeam, {
        card,
        entrances: [entrance('b'), entrance('a')],
      }),
      [],
    )
    assert.deepEqual(
      provider.outOfSyncProperties(onEncoder, onSeam, { card, entrances: [entrance('a')] }),
      ['acs_entrance_ids'],
    )
    assert.deepEqual(provider.cardProblems?.(card), [])
    const foreign = { ...card, contents: { acs_credential_id: 'x' } } as unknown as typeof card
    assert.equal(provider.cardProblems?.(foreign).length, 1)
    const blank = provider.readCard({ ...card, contents: null }, new Date(), undefined)
    assert.equal(blank.is_issued, false)
  })
})
