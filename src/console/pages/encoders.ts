import { listEncoders, listSystems, pageHeading } from '../common.js'
import { h, show, table } from '../dom.js'

/**
 * Each encoder and its state. The API does not say which card lies on an encoder
 * (Seam's `acs_encoder` has no such field): scanning reads it, so each row links to
 * the Scan page with that encoder chosen.
 */
export const renderEncoders = async (main: HTMLElement): Promise<void> => {
  const [systems, encoders] = await Promise.all([listSystems(), listEncoders()])
  const systemName = new Map(systems.map((s) => [s.acs_system_id, s.name]))
  const rows = encoders.map((encoder) => {
    const problems = encoder.errors.map((e) => e.message)
    return h(
      'tr',
      { 'data-encoder': encoder.acs_encoder_id },
      h('th', { scope: 'row' }, encoder.display_name),
      h('td', {}, systemName.get(encoder.acs_system_id) ?? encoder.acs_system_id),
      h(
        'td',
        {},
        problems.length === 0
          ? h('span', { class: 'ok' }, 'Ready')
          : h('span', { class: 'bad' }, problems.join(' ')),
      ),
      h(
        'td',
        {},
        h(
          'a',
          { href: `#/scan?encoder=${encodeURIComponent(encoder.acs_encoder_id)}` },
          'Scan the card on it',
        ),
      ),
    )
  })
  show(
    main,
    pageHeading('Encoders'),
    h(
      'p',
      {},
      'The card readers and writers of your access systems. Which card lies on an encoder is read by scanning it.',
    ),
    encoders.length === 0
      ? h('p', {}, 'No encoders yet.')
      : h(
          'div',
          { class: 'scroll' },
          table('Encoders', ['Encoder', 'Access system', 'State', 'Card on it'], rows),
        ),
  )
}
