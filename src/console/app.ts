import {
  ApiError,
  call,
  forgetKey,
  storedKey,
  storeKey,
  unauthorizedEvent,
  type Workspace,
} from './api.js'
import { pageHeading } from './common.js'
import { button, errorText, field, form, h, show, showError, statusLine } from './dom.js'
import { renderCredentials } from './pages/credentials.js'
import { renderEncoders } from './pages/encoders.js'
import { renderEvents } from './pages/events.js'
import { renderGuests } from './pages/guests.js'
import { renderSandbox } from './pages/sandbox.js'
import { renderScan } from './pages/scan.js'
import { renderWebhooks } from './pages/webhooks.js'

/**
 * The front-desk console: sign in with an API key, then pages chosen by the URL's
 * hash (`#/guests`), so the browser's back button and bookmarks work.
 */

export interface Page {
  path: string
  title: string
  render: (main: HTMLElement, workspace: Workspace) => Promise<void>
}

const pages: Page[] = [
  { path: 'guests', title: 'Guests', render: renderGuests },
  { path: 'encoders', title: 'Encoders', render: renderEncoders },
  { path: 'scan', title: 'Scan', render: renderScan },
  { path: 'credentials', title: 'Credentials', render: renderCredentials },
  { path: 'events', title: 'Events', render: renderEvents },
  { path: 'webhooks', title: 'Webhooks', render: renderWebhooks },
  { path: 'sandbox', title: 'Sandbox', render: renderSandbox },
]

const element = (id: string): HTMLElement => {
  const found = document.getElementById(id)
  if (!found) throw new Error(`the page has no #${id}`)
  return found
}

const main = element('main')
const nav = element('nav')
const account = element('account')

let workspace: Workspace | undefined

const currentPage = (): Page => {
  const path = location.hash.replace(/^#\/?/, '').split('?')[0]
  return pages.find((p) => p.path === path) ?? (pages[0] as Page)
}

const signOut = (reason?: string) => {
  forgetKey()
  workspace = undefined
  renderSignIn(reason)
}

const renderShell = (signedIn: Workspace) => {
  show(
    account,
    h(
      'span',
      { class: 'workspace' },
      signedIn.name,
      signedIn.is_sandbox ? h('span', { class: 'badge' }, 'sandbox') : null,
    ),
    button('Sign out', () => signOut()),
  )
  nav.hidden = false
  show(
    nav,
    h(
      'ul',
      {},
      ...pages
        .filter((p) => p.path !== 'sandbox' || signedIn.is_sandbox)
        .map((p) => h('li', {}, h('a', { href: `#/${p.path}`, 'data-page': p.path }, p.title))),
    ),
  )
}

let rendering = 0
const route = async () => {
  if (!workspace) return
  const page = currentPage()
  const mine = ++rendering
  document.title = `${page.title} · Keysmith console`
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.page === page.path) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  show(main, h('p', { class: 'status', role: 'status' }, 'Loading…'))
  const container = h('div', { class: 'page', 'data-page': page.path })
  try {
    await page.render(container, workspace)
  } catch (error) {
    // A refused key signs out (the unauthorizedEvent listener below).
    if (error instanceof ApiError && error.status === 401) return
    show(
      container,
      pageHeading(page.title),
      h('p', { class: 'error', role: 'alert' }, errorText(error)),
    )
  }
  // Another page was opened meanwhile, or the tab was signed out.
  if (mine !== rendering || !workspace) return
  show(main, container)
  const heading = container.querySelector<HTMLElement>('h1')
  heading?.focus()
}

function renderSignIn(reason?: string): void {
  nav.hidden = true
  show(account)
  const key = h('input', {
    type: 'password',
    name: 'api_key',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'seam_…',
  })
  const line = statusLine()
  if (reason) showError(line, reason)
  show(
    main,
    h(
      'section',
      { class: 'sign-in', 'aria-labelledby': 'sign-in-heading' },
      h('h1', { id: 'sign-in-heading' }, 'Sign in'),
      h(
        'p',
        {},
        'Enter an API key of your workspace (keysmith prints the sandbox key at its first start). ',
        'It is kept in this tab only, until you sign out or close the tab.',
      ),
      form(
        { 'aria-labelledby': 'sign-in-heading' },
        async () => {
          try {
            const found = await call<{ workspace: Workspace }>(
              '/workspaces/get',
              {},
              key.value.trim(),
            )
            storeKey(key.value.trim())
            workspace = found.workspace
            renderShell(found.workspace)
            await route()
          } catch (error) {
            showError(
              line,
              error instanceof ApiError && error.status === 401
                ? 'That API key is not valid.'
                : error,
            )
            key.focus()
          }
        },
        field('API key', key),
        h('button', { type: 'submit' }, 'Sign in'),
        line,
      ),
    ),
  )
  key.focus()
}

const start = async () => {
  if (!storedKey()) return renderSignIn()
  try {
    workspace = (await call<{ workspace: Workspace }>('/workspaces/get')).workspace
  } catch {
    forgetKey()
    return renderSignIn()
  }
  renderShell(workspace)
  await route()
}

// The skip link focuses the page without touching the hash, which names the page.
document.querySelector('a.skip')?.addEventListener('click', (event) => {
  event.preventDefault()
  main.focus()
})
window.addEventListener(unauthorizedEvent, (event) => {
  if (!workspace) return
  const message = event instanceof CustomEvent ? String(event.detail) : 'unauthorized'
  signOut(`The server refused the API key (${message}). Sign in again.`)
})
window.addEventListener('hashchange', () => void route())
void start()
