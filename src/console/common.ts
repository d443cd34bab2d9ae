import { type AcsEncoder, type AcsSystem, call } from './api.js'
import { h } from './dom.js'

export const listSystems = async (): Promise<AcsSystem[]> =>
  (await call<{ acs_systems: AcsSystem[] }>('/acs/systems/list')).acs_systems

export const listEncoders = async (): Promise<AcsEncoder[]> => {
  const systems = await listSystems()
  if (systems.length === 0) return []
  return (
    await call<{ acs_encoders: AcsEncoder[] }>('/acs/encoders/list', {
      acs_system_ids: systems.map((s) => s.acs_system_id),
    })
  ).acs_encoders
}

/** A select of the encoders, `selected` chosen if given. */
export const encoderSelect = (
  encoders: AcsEncoder[],
  selected?: string | null,
): HTMLSelectElement => {
  const select = h('select', { name: 'acs_encoder_id', required: true })
  for (const encoder of encoders) {
    const label =
      encoder.errors.length > 0 ? `${encoder.display_name} (unavailable)` : encoder.display_name
    const option = h('option', { value: encoder.acs_encoder_id }, label)
    if (encoder.acs_encoder_id === selected) option.selected = true
    select.append(option)
  }
  return select
}

/** A page heading; the router moves focus to it when the page opens. */
export const pageHeading = (text: string): HTMLHeadingElement =>
  h('h1', { tabindex: '-1', class: 'page-heading' }, text)

/** The query part of the hash route (`#/scan?encoder=…`). */
export const routeParams = (): URLSearchParams =>
  new URLSearchParams(location.hash.split('?')[1] ?? '')
