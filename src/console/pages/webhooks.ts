import { call, type Webhook } from '../api.js'
import { pageHeading } from '../common.js'
import { button, field, form, h, show, showError, showStatus, statusLine, table } from '../dom.js'

/**
 * The workspace's webhooks (/webhooks/list, create, delete). Seam's API, which
 * Keysmith serves, has no endpoint listing a webhook's deliveries and their tries, so
 * the console cannot show them: the server logs each delivery and counts them in
 * /metrics (`keysmith_webhook_deliveries`).
 */
export const renderWebhooks = async (main: HTMLElement): Promise<void> => {
  const list = h('div', { class: 'scroll' })
  const line = statusLine({ 'data-role': 'webhooks-status' })

  const load = async () => {
    const { webhooks } = await call<{ webhooks: Webhook[] }>('/webhooks/list')
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
    h(
      'p',
      { class: 'hint' },
      "Deliveries and their retries are not part of Seam's API, so they are not listed here: the server logs each one and counts them in /metrics.",
    ),
  )
  await load()
}
