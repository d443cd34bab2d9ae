import { call, type Webhook, type WebhookDelivery } from '../api.js'
import { pageHeading } from '../common.js'
import {
  button,
  field,
  form,
  h,
  show,
  showError,
  showStatus,
  statusLine,
  table,
  when,
} from '../dom.js'

/** One try in words: the receiver's status, or why no answer came. */
const tryText = (attempt: WebhookDelivery['attempts'][number]): string =>
  `Try ${attempt.attempt_number}, ${when(attempt.attempted_at)}: ${
    attempt.status_code !== null ? `HTTP ${attempt.status_code}` : (attempt.error ?? 'no answer')
  } (${attempt.duration_ms} ms)`

const deliveriesTable = (deliveries: WebhookDelivery[]): HTMLElement =>
  deliveries.length === 0
    ? h('p', {}, 'No deliveries yet: they start with the next event a webhook asks for.')
    : table(
        'Deliveries, newest first',
        ['Event', 'Webhook', 'Status', 'Tries'],
        deliveries.map((delivery) =>
          h(
            'tr',
            { 'data-delivery': delivery.webhook_delivery_id, 'data-status': delivery.status },
            h('th', { scope: 'row' }, delivery.event_type, h('br'), when(delivery.created_at)),
            h('td', {}, delivery.url),
            h(
              'td',
              {},
              delivery.status === 'pending' && delivery.next_attempt_at
                ? `pending (next try ${when(delivery.next_attempt_at)})`
                : delivery.status,
            ),
            h(
              'td',
              {},
              delivery.attempts.length === 0
                ? 'not tried yet'
                : h(
                    'ol',
                    { class: 'tries' },
                    ...delivery.attempts.map((a) => h('li', {}, tryText(a))),
                  ),
            ),
          ),
        ),
      )

/**
 * The workspace's webhooks (/webhooks/list, create, delete) and their deliveries with
 * every try. Seam's API has no endpoint for deliveries: they come from Keysmith's own
 * `/_keysmith/webhook_deliveries/list`, which takes the same API key.
 */
export const renderWebhooks = async (main: HTMLElement): Promise<void> => {
  const list = h('div', { class: 'scroll' })
  const deliveries = h('div', { class: 'scroll', 'data-role': 'deliveries' })
  const line = statusLine({ 'data-role': 'webhooks-status' })

  const loadDeliveries = async () => {
    const { webhook_deliveries } = await call<{ webhook_deliveries: WebhookDelivery[] }>(
      '/_keysmith/webhook_deliveries/list',
      { limit: 50 },
    )
    show(deliveries, deliveriesTable(webhook_deliveries))
  }

  const load = async () => {
    const { webhooks } = await call<{ webhooks: Webhook[] }>('/webhooks/list')
    await loadDeliveries()
    show(
      list,
      webhooks.length === 0
        ? h('p', {}, 'No webhooks yet.')
        : table(
            'Webhooks',
            ['URL', 'Event types', ''],
            webhooks.map((webhook) =>
              h(
                'tr',
                { 'data-webhook': webhook.webhook_id },
                h('th', { scope: 'row' }, webhook.url),
                h('td', {}, (webhook.event_types ?? ['*']).join(', ')),
                h(
                  'td',
                  {},
                  button(
                    'Delete',
                    async () => {
                      try {
                        await call('/webhooks/delete', { webhook_id: webhook.webhook_id })
                        showStatus(line, `Deleted the webhook to ${webhook.url}.`, 'success')
                        await load()
                      } catch (error) {
                        showError(line, error)
                      }
                    },
                    { 'aria-label': `Delete the webhook to ${webhook.url}`, class: 'danger' },
                  ),
                ),
              ),
            ),
          ),
    )
  }

  const url = h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://' })
  const eventTypes = h('input', { type: 'text', name: 'event_types', autocomplete: 'off' })

  show(
    main,
    pageHeading('Webhooks'),
    list,
    form(
      { 'aria-labelledby': 'new-webhook-heading', class: 'card' },
      async () => {
        try {
          const types = eventTypes.value
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
          const { webhook } = await call<{ webhook: Webhook }>('/webhooks/create', {
            url: url.value.trim(),
            ...(types.length > 0 ? { event_types: types } : {}),
          })
          showStatus(
            line,
            `Added. Verify its deliveries with the signing secret ${webhook.secret ?? '(none)'}.`,
            'success',
          )
          url.value = ''
          eventTypes.value = ''
          await load()
        } catch (error) {
          showError(line, error)
        }
      },
      h('h2', { id: 'new-webhook-heading' }, 'New webhook'),
      field('URL', url),
      field(
        'Event types',
        eventTypes,
        'Comma-separated, e.g. acs_credential.issued; empty for all',
      ),
      h('button', { type: 'submit' }, 'Add webhook'),
    ),
    line,
    h('h2', { id: 'deliveries-heading' }, 'Deliveries'),
    h(
      'p',
      { class: 'hint' },
      "Each event sent to a webhook, with every try (Keysmith's own endpoint: Seam's API has none).",
    ),
    button('Refresh deliveries', async () => {
      try {
        await loadDeliveries()
      } catch (error) {
        showError(line, error)
      }
    }),
    deliveries,
  )
  await load()
}
