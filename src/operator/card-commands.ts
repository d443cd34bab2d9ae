import { setTimeout as wait } from 'node:timers/promises'
import { type ApiTarget, type AttemptView, callApi, waitForAttempt } from './api.js'
import { spinner } from './spinner.js'

/**
 * `keysmith encode`, `keysmith scan` and `keysmith events tail`: the front desk's
 * everyday work from a terminal, through the public API. Each returns the text to
 * print and whether it worked.
 */

export interface CommandOutcome {
  ok: boolean
  text: string
}

const failure = (attempt: AttemptView): CommandOutcome => ({
  ok: false,
  text: `Failed: ${attempt.error?.type ?? 'error'}: ${attempt.error?.message ?? 'no message'}\n`,
})

export const encodeCommand = async (
  target: ApiTarget,
  ids: { credential: string; encoder: string },
): Promise<CommandOutcome> => {
  const { action_attempt } = await callApi<{ action_attempt: AttemptView }>(
    target,
    '/acs/encoders/encode_credential',
    { acs_credential_id: ids.credential, acs_encoder_id: ids.encoder },
  )
  const wait = spinner('Waiting for the card on the encoder…')
  const done = await waitForAttempt(target, action_attempt, wait.tick).finally(wait.stop)
  if (done.status !== 'success') return failure(done)
  const credential = done.result as { card_number?: string | null; acs_credential_id: string }
  return {
    ok: true,
    text: `Encoded credential ${credential.acs_credential_id} onto card ${credential.card_number ?? '(no number)'}\n`,
  }
}

type Side = Record<string, unknown> | null

const shown = (value: unknown): string =>
  value === undefined || value === null
    ? '—'
    : Array.isArray(value)
      ? value.join(', ')
      : String(value)

/** Card against server, a row per property, the out-of-sync ones marked. */
export const scanTable = (onCard: Side, onServer: Side, outOfSync: readonly string[]): string => {
  const properties = ['card_number', 'is_issued', 'starts_at', 'ends_at']
  const extra = outOfSync.filter((name) => !properties.includes(name))
  const rows = [...properties, ...extra].map((name) => [
    outOfSync.includes(name) ? `≠ ${name}` : `  ${name}`,
    shown(onCard?.[name]),
    shown(onServer?.[name]),
  ])
  const header = ['  property', 'on the card', 'on the server']
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  )
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export const scanCommand = async (
  target: ApiTarget,
  ids: { encoder: string },
): Promise<CommandOutcome> => {
  const { action_attempt } = await callApi<{ action_attempt: AttemptView }>(
    target,
    '/acs/encoders/scan_credential',
    { acs_encoder_id: ids.encoder },
  )
  const wait = spinner('Waiting for the card on the encoder…')
  const done = await waitForAttempt(target, action_attempt, wait.tick).finally(wait.stop)
  if (done.status !== 'success') return failure(done)
  const result = done.result as {
    acs_credential_on_encoder: Side
    acs_credential_on_seam: Side
    warnings: { warning_code: string; warning_message: string }[]
  }
  const outOfSync = result.warnings
    .filter((w) => w.warning_code === 'acs_credential_on_encoder_out_of_sync')
    .flatMap((w) => /out of sync[^:]*: (.+)$/.exec(w.warning_message)?.[1]?.split(', ') ?? [])
  const credential = result.acs_credential_on_seam?.acs_credential_id
  const lines = [
    credential ? `Credential ${String(credential)}` : 'No credential of this server on the card',
    scanTable(result.acs_credential_on_encoder, result.acs_credential_on_seam, outOfSync),
    ...result.warnings.map((w) => `! ${w.warning_code}: ${w.warning_message}`),
    result.warnings.length === 0 && credential ? 'In sync.' : '',
  ]
  return { ok: true, text: `${lines.filter(Boolean).join('\n')}\n` }
}

interface EventView {
  event_id: string
  event_type: string
  occurred_at: string
  [field: string]: unknown
}

/** One line per event: when, what, and the ids it names. */
export const eventLine = (event: EventView): string => {
  const ids = Object.entries(event)
    .filter(
      ([key, value]) =>
        key.endsWith('_id') &&
        key !== 'event_id' &&
        key !== 'workspace_id' &&
        typeof value === 'string',
    )
    .map(([key, value]) => `${key}=${String(value)}`)
  return `${event.occurred_at}  ${event.event_type.padEnd(32)}  ${ids.join(' ')}`.trimEnd()
}

/**
 * Prints events as they happen, from `since` (now by default), until `signal` fires:
 * polls `/events/list` and never prints one twice.
 */
export const tailEvents = async (
  target: ApiTarget,
  options: { since?: string; eventTypes?: string[]; pollMs?: number; signal: AbortSignal },
  print: (line: string) => void,
): Promise<void> => {
  let since = options.since ?? new Date().toISOString()
  const printed = new Set<string>()
  while (!options.signal.aborted) {
    const { events } = await callApi<{ events: EventView[] }>(target, '/events/list', {
      since,
      limit: 500,
      ...(options.eventTypes?.length ? { event_types: options.eventTypes } : {}),
    })
    for (const event of [...events].reverse()) {
      if (printed.has(event.event_id)) continue
      printed.add(event.event_id)
      print(eventLine(event))
      if (event.occurred_at > since) since = event.occurred_at
    }
    await wait(options.pollMs ?? 500, undefined, { signal: options.signal }).catch(() => {})
  }
}
