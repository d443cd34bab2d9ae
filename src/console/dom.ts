/** Small DOM helpers: the console is plain DOM, no framework. */

type Child = Node | string | null | undefined | false
type Attributes = Record<string, string | boolean | undefined>

/** An element with attributes (`true` sets a boolean attribute) and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    element.setAttribute(name, value === true ? '' : value)
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    element.append(child)
  }
  return element
}

/** Replaces what `parent` holds. */
export const show = (parent: Element, ...children: (Child | Child[])[]): void => {
  parent.replaceChildren()
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    parent.append(child)
  }
}

let nextId = 0
/** A unique id for pairing a label with its control. */
export const uid = (prefix: string): string => `${prefix}-${++nextId}`

/** A labelled form field: `<label for>` + the control. */
export const field = (
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLDivElement => {
  if (!control.id) control.id = uid('field')
  const hintElement = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id)
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintElement)
}

/**
 * Runs `action` with `buttons` disabled (and `busy` marked for assistive technology),
 * so a second click cannot start the same encoding twice.
 */
const whileBusy = async (
  busy: HTMLElement,
  buttons: HTMLButtonElement[],
  action: () => void | Promise<void>,
): Promise<void> => {
  if (busy.getAttribute('aria-busy') === 'true') return
  // A disabled button loses focus; a keyboard user gets it back when the action ends
  // (unless the action moved focus somewhere on purpose).
  const focused = document.activeElement
  busy.setAttribute('aria-busy', 'true')
  for (const b of buttons) b.disabled = true
  try {
    await action()
  } finally {
    busy.removeAttribute('aria-busy')
    for (const b of buttons) b.disabled = false
    const lost = document.activeElement === null || document.activeElement === document.body
    if (lost && focused instanceof HTMLElement && focused.isConnected) focused.focus()
  }
}

export const button = (
  label: string,
  onClick: (event: MouseEvent) => void | Promise<void>,
  attributes: Attributes = {},
): HTMLButtonElement => {
  const element = h('button', { type: 'button', ...attributes }, label)
  element.addEventListener('click', (event) => {
    void whileBusy(element, [element], () => onClick(event))
  })
  return element
}

/** A form whose submit runs `onSubmit` (Enter in a field submits, as forms do). */
export const form = (
  attributes: Attributes,
  onSubmit: (form: HTMLFormElement) => void | Promise<void>,
  ...children: (Child | Child[])[]
): HTMLFormElement => {
  const element = h('form', attributes, ...children)
  element.addEventListener('submit', (event) => {
    event.preventDefault()
    const submits = [...element.querySelectorAll<HTMLButtonElement>('button[type="submit"]')]
    void whileBusy(element, submits, () => onSubmit(element))
  })
  return element
}

/** A status line read out by screen readers when it changes. */
export const statusLine = (attributes: Attributes = {}): HTMLParagraphElement =>
  h('p', { role: 'status', 'aria-live': 'polite', class: 'status', ...attributes })

export const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)

/** Shows an error in a status line, marked as such. */
export const showError = (line: HTMLElement, error: unknown): void => {
  line.dataset.state = 'error'
  line.textContent = errorText(error)
}

export const showStatus = (line: HTMLElement, text: string, state = 'info'): void => {
  line.dataset.state = state
  line.textContent = text
}

/** A date and time as the front desk reads it (the browser's time zone). */
export const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—'

/** The value of a `datetime-local` input as an ISO time (read in the browser's zone). */
export const isoFromLocal = (value: string): string => new Date(value).toISOString()

/** An ISO time as a `datetime-local` value in the browser's zone. */
export const localFromIso = (iso: string): string => {
  const date = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/**
 * A table with a caption and column headings. Each cell is labelled with its heading
 * (`data-label`), which the stylesheet shows when a phone-width screen stacks the rows.
 */
export const table = (
  caption: string,
  headings: string[],
  rows: HTMLTableRowElement[],
): HTMLTableElement => {
  for (const row of rows) {
    for (const [index, cell] of [...row.cells].entries()) {
      const heading = headings[index]
      if (heading) cell.dataset.label = heading
    }
  }
  return h(
    'table',
    { class: 'stack' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headings.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, ...rows),
  )
}
