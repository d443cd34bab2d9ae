import {
  type AcsCredential,
  type AcsEntrance,
  type ActionAttempt,
  call,
  type ScanResult,
  type Warning,
} from '../api.js'
import { followAttempt } from '../attempt.js'
import { encoderSelect, listEncoders, pageHeading, routeParams } from '../common.js'
import { button, field, form, h, show, statusLine, when } from '../dom.js'

/**
 * Reads the card on an encoder (/acs/encoders/scan_credential) and shows what it
 * carries beside what the server holds for it, the properties the scan's warnings
 * name as out of sync highlighted (and labelled, not by colour alone).
 */

interface Row {
  property: string
  label: string
}

const rows: Row[] = [
  { property: 'acs_credential_id', label: 'Credential' },
  { property: 'card_number', label: 'Card number' },
  { property: 'is_issued', label: 'Issued' },
  { property: 'starts_at', label: 'Valid from' },
  { property: 'ends_at', label: 'Valid until' },
  { property: 'guest_acs_entrance_ids', label: 'Guest rooms' },
  { property: 'common_acs_entrance_ids', label: 'Common areas' },
]

const outOfSyncPrefix = 'The following properties are out of sync'

/** The properties a scan's warnings name as differing between card and server. */
export const outOfSyncProperties = (warnings: Warning[]): Set<string> => {
  const names = new Set<string>()
  for (const warning of warnings) {
    const text = warning.warning_message ?? warning.message ?? ''
    if (warning.warning_code !== 'acs_credential_on_encoder_out_of_sync') continue
    if (!text.startsWith(outOfSyncPrefix)) continue
    for (const name of (text.split(':')[1] ?? '').split(',')) {
      if (name.trim()) names.add(name.trim())
    }
  }
  return names
}

/** A property of a credential, at its top level or in its `…_metadata`. */
const propertyOf = (credential: AcsCredential | null, property: string): unknown => {
  if (!credential) return undefined
  const record = credential as unknown as Record<string, unknown>
  if (property in record) return record[property]
  for (const [key, value] of Object.entries(record)) {
    if (key.endsWith('_metadata') && value && typeof value === 'object' && property in value) {
      return (value as Record<string, unknown>)[property]
    }
  }
  return undefined
}

const display = (property: string, value: unknown, entrances: Map<string, string>): string => {
  if (value === undefined || value === null) return '—'
  if (typeof value === 'boolean') return value ? 'Yes' : 'No'
  if (Array.isArray(value)) {
    return value.length === 0
      ? 'none'
      : value.map((id) => entrances.get(String(id)) ?? String(id)).join(', ')
  }
  if (property.endsWith('_at') && typeof value === 'string') return when(value)
  return String(value)
}

export const comparisonTable = (
  result: ScanResult,
  entrances: Map<string, string>,
): HTMLTableElement => {
  const differing = outOfSyncProperties(result.warnings)
  const all = [
    ...rows,
    ...[...differing]
      .filter((name) => !rows.some((r) => r.property === name))
      .map((name) => ({ property: name, label: name })),
  ]
  const body = all.map(({ property, label }) => {
    const out = differing.has(property)
    return h(
      'tr',
      { 'data-property': property, class: out ? 'out-of-sync' : undefined },
      h('th', { scope: 'row' }, label, out ? h('span', { class: 'flag' }, ' — out of sync') : null),
      h(
        'td',
        { 'data-side': 'card' },
        display(property, propertyOf(result.acs_credential_on_encoder, property), entrances),
      ),
      h(
        'td',
        { 'data-side': 'server' },
        display(property, propertyOf(result.acs_credential_on_seam, property), entrances),
      ),
    )
  })
  return h(
    'table',
    { class: 'comparison' },
    h('caption', {}, 'Card and server side by side'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Property'),
        h('th', { scope: 'col' }, 'On the card'),
        h('th', { scope: 'col' }, 'On the server'),
      ),
    ),
    h('tbody', {}, ...body),
  )
}

const entranceNames = async (): Promise<Map<string, string>> => {
  const { acs_entrances } = await call<{ acs_entrances: AcsEntrance[] }>('/acs/entrances/list')
  return new Map(acs_entrances.map((e) => [e.acs_entrance_id, e.display_name]))
}

export const renderScan = async (main: HTMLElement): Promise<void> => {
  const [encoders, entrances] = await Promise.all([listEncoders(), entranceNames()])
  const select = encoderSelect(encoders, routeParams().get('encoder'))
  const line = statusLine({ 'data-role': 'scan-status' })
  const result = h('section', { class: 'scan-result', 'aria-label': 'Scan result' })

  const scan = async () => {
    show(result)
    const encoderName = select.selectedOptions[0]?.textContent ?? 'the encoder'
    const done = await followAttempt(
      line,
      {
        pending: `Reading the card on ${encoderName}`,
        success: `Card read on ${encoderName}.`,
        failure: 'The scan failed',
      },
      async () =>
        (
          await call<{ action_attempt: ActionAttempt }>('/acs/encoders/scan_credential', {
            acs_encoder_id: select.value,
          })
        ).action_attempt,
    )
    if (done) showResult(done.result as ScanResult, select.value)
  }

  const showResult = (scanned: ScanResult, encoderId: string) => {
    const warnings = scanned.warnings
    const reencodeLine = statusLine({ 'data-role': 'reencode-status' })
    const onSeam = scanned.acs_credential_on_seam
    show(
      result,
      h('h2', {}, 'What is on the card'),
      warnings.length === 0
        ? h('p', { class: 'ok', 'data-role': 'in-sync' }, 'The card matches the server.')
        : h(
            'ul',
            { class: 'warnings', 'aria-label': 'Warnings' },
            ...warnings.map((w) =>
              h(
                'li',
                { 'data-code': w.warning_code },
                w.warning_message ?? w.message ?? w.warning_code,
              ),
            ),
          ),
      h('div', { class: 'scroll' }, comparisonTable(scanned, entrances)),
      onSeam && warnings.length > 0
        ? h(
            'div',
            { class: 'actions' },
            button('Re-encode this card', async () => {
              await followAttempt(
                reencodeLine,
                {
                  pending: 'Encoding the card again',
                  success: 'The card is encoded again. Scan it to check.',
                  failure: 'Encoding failed',
                },
                async () =>
                  (
                    await call<{ action_attempt: ActionAttempt }>(
                      '/acs/encoders/encode_credential',
                      { acs_encoder_id: encoderId, acs_credential_id: onSeam.acs_credential_id },
                    )
                  ).action_attempt,
              )
            }),
            reencodeLine,
          )
        : null,
    )
  }

  show(
    main,
    pageHeading('Scan a card'),
    h('p', {}, 'Put the card on an encoder and read it, to see whether it is up to date.'),
    encoders.length === 0
      ? h('p', {}, 'No encoders yet.')
      : form(
          { 'aria-label': 'Scan a card', class: 'inline' },
          scan,
          field('Encoder', select),
          h('button', { type: 'submit' }, 'Scan card'),
          line,
        ),
    result,
  )
}
