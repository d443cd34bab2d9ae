import { call, type SeamEvent } from '../api.js'
import { pageHeading } from '../common.js'
import { field, form, h, show, showError, showStatus, statusLine, table, when } from '../dom.js'

/** The event log, newest first, optionally of one type (/events/list). */

const idsOf = (event: SeamEvent): string =>
  Object.entries(event)
    .filter(
      ([key, value]) =>
        key.endsWith('_id') &&
        key !== 'event_id' &&
        key !== 'workspace_id' &&
        typeof value === 'string',
    )
    .map(([key, value]) => `${key.replace(/_id$/, '')}: ${String(value)}`)
    .join('\n')

export const renderEvents = async (main: HTMLElement): Promise<void> => {
  const type = h('input', {
    type: 'text',
    name: 'event_type',
    list: 'event-types',
    autocomplete: 'off',
  })
  const types = h('datalist', { id: 'event-types' })
  const line = statusLine({ 'data-role': 'events-status' })
  const results = h('div', { class: 'scroll' })
  const since = new Date(Date.now() - 30 * 24 * 3600 * 1000).toISOString()

  const load = async () => {
    try {
      const filter = type.value.trim()
      const { events } = await call<{ events: SeamEvent[] }>('/events/list', {
        since,
        limit: 200,
        ...(filter ? { event_type: filter } : {}),
      })
      if (!filter) {
        show(
          types,
          ...[...new Set(events.map((e) => e.event_type))]
            .sort()
            .map((t) => h('option', { value: t })),
        )
      }
      showStatus(
        line,
        `${events.length} event${events.length === 1 ? '' : 's'}${filter ? ` of type ${filter}` : ''} in the last 30 days`,
      )
      show(
        results,
        table(
          'Events',
          ['When', 'Type', 'About'],
          events.map((e) =>
            h(
              'tr',
              { 'data-event-type': e.event_type },
              h('td', {}, when(e.occurred_at)),
              h('th', { scope: 'row' }, e.event_type),
              h('td', { class: 'ids' }, idsOf(e)),
            ),
          ),
        ),
      )
    } catch (error) {
      showError(line, error)
    }
  }

  show(
    main,
    pageHeading('Events'),
    form(
      { 'aria-label': 'Filter events', class: 'inline' },
      load,
      field('Event type', type, 'For example acs_credential.issued; empty for all'),
      types,
      h('button', { type: 'submit' }, 'Show'),
    ),
    line,
    results,
  )
  await load()
}
