import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import type { DatabaseKind } from '../support/databases.js'
import { eventually } from '../support/poll.js'
import { frontDesk, hotel, since } from '../support/sandbox.js'
import { forEachDatabase, useServer } from '../support/suite.js'

/**
 * The front-desk console (`GET /`) in a real browser: Debian's Chromium driven by
 * playwright-core (which downloads no browser). It signs in with the sandbox's API
 * key, creates a guest with a card grant, encodes the card, scans it, changes the
 * stay and sees the out-of-sync field, and visits the other pages. One server and
 * one browser per database kind. `.ci/run` installs chromium and sets
 * KEYSMITH_REQUIRE_BROWSER=1, so a missing browser fails the run instead of skipping.
 * On a failure, a screenshot of the page is written (its path is printed).
 */

const executablePath = process.env.KEYSMITH_CHROMIUM ?? '/usr/bin/chromium'
const available = existsSync(executablePath)
const required = process.env.KEYSMITH_REQUIRE_BROWSER === '1'

const launchArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const screenshots = join(tmpdir(), `keysmith-console-screenshots-${process.pid}`)

const browserSuite = (kind: DatabaseKind) => {
  // A sandbox encoder slow enough to see the attempt pending in the page.
  const server = useServer(kind, { env: { KEYSMITH_SANDBOX_ACTION_DELAY_MS: '300' } })
  let userDataDir = ''
  let context: BrowserContext
  let page: Page
  const pageErrors: string[] = []

  before(async () => {
    userDataDir = mkdtempSync(join(tmpdir(), 'keysmith-console-chromium-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: launchArgs,
      viewport: { width: 1280, height: 800 },
      timezoneId: 'UTC',
      locale: 'en-GB',
    })
    context.setDefaultTimeout(15_000)
    page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      // The browser's own network lines (the 401 of a wrong key) are not the page's errors.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(message.text())
      }
    })
  })
  after(async () => {
    await context?.close()
    rmSync(userDataDir, { recursive: true, force: true })
  })

  /** A test that leaves a screenshot behind when it fails. */
  const step = (name: string, body: () => Promise<void>) =>
    test(name, async () => {
      pageErrors.length = 0
      try {
        await body()
        assert.deepEqual(pageErrors, [], 'the page logged no errors')
      } catch (error) {
        mkdirSync(screenshots, { recursive: true })
        const file = join(screenshots, `${kind.name}-${name.replace(/[^a-z0-9]+/gi, '-')}.png`)
        await page?.screenshot({ path: file, fullPage: true }).catch(() => undefined)
        process.stderr.write(`console test failed; screenshot: ${file}\n`)
        throw error
      }
    })

  /** Evaluates an expression in the page (the tests compile without the DOM's types). */
  const inPage = (expression: string): Promise<unknown> => page.evaluate(expression)

  /**
   * Records every state (and text) the status lines with `role` go through, so a
   * test sees "pending" however briefly it lasted, without timing it.
   */
  const recordStates = (role: string) =>
    inPage(`(() => {
      const seen = (window.keysmithStates = [])
      new MutationObserver((records) => {
        for (const { target } of records) {
          if (target.dataset?.role !== '${role}') continue
          const text = target.textContent.replace(/card [0-9a-f]+/, 'card [hex]')
          const entry = target.dataset.state + ':' + text
          if (seen.at(-1) !== entry) seen.push(entry)
        }
      }).observe(document.querySelector('main'), {
        attributes: true,
        characterData: true,
        childList: true,
        subtree: true,
      })
    })()`)
  const recordedStates = async (): Promise<string[]> =>
    (await inPage('window.keysmithStates')) as string[]

  const status = (scope: Page | Locator, role: string) => scope.locator(`[data-role="${role}"]`)
  const waitForState = (line: Locator, state: string, text?: RegExp) =>
    line
      .and(page.locator(`[data-state="${state}"]`))
      .filter(text ? { hasText: text } : {})
      .waitFor()

  const openPage = async (name: string) => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name }).click()
    await page.locator(`main .page[data-page="${name.toLowerCase()}"]`).waitFor()
  }

  step('GET / serves the page and its modules from the build, under a strict CSP', async () => {
    const response = await fetch(server.current.url)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    assert.match(await response.text(), /<script type="module" src="\/console\/app.js">/)
    for (const path of ['/console/app.js', '/console/pages/scan.js', '/console/console.css']) {
      const asset = await fetch(new URL(path, server.current.url))
      assert.equal(asset.status, 200, path)
    }
    const outside = await fetch(new URL('/console/..%2f..%2fpackage.json', server.current.url))
    assert.equal(outside.status, 404)
  })

  step(
    'signs in with the keyboard; a wrong key is refused; the key stays in this tab only',
    async () => {
      await page.goto(server.current.url)
      await page.getByRole('heading', { name: 'Sign in' }).waitFor()
      assert.equal(await inPage(`document.activeElement?.getAttribute('name')`), 'api_key')
      await page.keyboard.type('seam_not_a_key')
      await page.keyboard.press('Enter')
      await page.getByRole('status').filter({ hasText: 'That API key is not valid.' }).waitFor()

      await page.getByLabel('API key').fill(server.current.apiKey)
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: 'Guests', level: 1 }).waitFor()
      assert.equal(await inPage(`document.activeElement?.textContent`), 'Guests')
      assert.equal(
        await inPage(`sessionStorage.getItem('keysmith.console.apiKey')`),
        server.current.apiKey,
      )
      assert.equal(await inPage(`localStorage.length`), 0)
      assert.equal(await inPage(`document.cookie`), '')
      await page.reload()
      await page.getByRole('heading', { name: 'Guests', level: 1 }).waitFor()
    },
  )

  step('Encoders lists each encoder and its state', async () => {
    await openPage('Encoders')
    const row = page.locator(`tr[data-encoder="${frontDesk}"]`)
    await row.getByText('Ready').waitFor()
    assert.match(await row.innerText(), /Front Desk/)
  })

  step(
    'keyboard: the skip link comes first and keeps the page; links open pages with Enter',
    async () => {
      const first = `document.querySelector('a[href], button, input, select, [tabindex="0"]')`
      assert.equal(await inPage(`${first}.textContent`), 'Skip to content')
      const skip = page.getByRole('link', { name: 'Skip to content' })
      await skip.focus()
      const box = await skip.boundingBox()
      assert.ok(box && box.x >= 0 && box.y >= 0, 'the focused skip link is on screen')
      await page.keyboard.press('Enter')
      assert.equal(await inPage('document.activeElement.id'), 'main')
      assert.match(page.url(), /#\/encoders$/)
      await page
        .getByRole('navigation', { name: 'Pages' })
        .getByRole('link', { name: 'Scan' })
        .focus()
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: 'Scan a card', level: 1 }).waitFor()
      assert.equal(await inPage('document.activeElement.textContent'), 'Scan a card')
      assert.equal(
        await page.getByRole('link', { name: 'Scan' }).getAttribute('aria-current'),
        'page',
      )
    },
  )

  step('creates a guest, gives a card for Room 101, encodes it with live progress', async () => {
    await openPage('Guests')
    await page.getByLabel('Full name').fill('Ada Lovelace')
    await page.getByLabel('Email (optional)').fill('ada@hotel.example')
    await page.getByRole('button', { name: 'Add guest' }).click()
    await page.getByRole('heading', { name: 'Ada Lovelace', level: 2 }).waitFor()

    const grantForm = page.getByRole('form', { name: 'Give access with a card' })
    await grantForm.getByLabel('Room 101').check()
    await grantForm.getByLabel('Arrives').fill('2031-03-01T15:00')
    await grantForm.getByLabel('Leaves').fill('2031-03-04T11:00')
    await grantForm.getByRole('button', { name: 'Give access' }).click()
    const grant = page.locator('article.grant').first()
    await grant.getByText('Not encoded yet').waitFor()
    await grant.getByRole('heading', { name: 'Room 101', level: 3 }).waitFor()
    assert.equal(
      await inPage('document.activeElement.textContent'),
      'Room 101',
      'focus on the new grant',
    )

    const [identity] = await server.current.seam().userIdentities.list({ search: 'Ada Lovelace' })
    assert.ok(identity)
    const [accessGrant] = await server.current
      .seam()
      .accessGrants.list({ user_identity_id: identity.user_identity_id })
    assert.ok(accessGrant)
    assert.equal(accessGrant.starts_at, '2031-03-01T15:00:00.000Z')
    assert.equal(accessGrant.ends_at, '2031-03-04T11:00:00.000Z')
    assert.equal(accessGrant.display_name, 'Room 101')

    await grant.getByLabel('Encoder').selectOption({ label: 'Front Desk' })
    await recordStates('encode-status')
    await grant.getByRole('button', { name: 'Encode card' }).click()
    const line = status(grant, 'encode-status')
    await waitForState(line, 'success', /Card encoded on Front Desk \(card [0-9a-f]+\)/)
    const seen = await recordedStates()
    assert.equal(seen[0], 'pending:Encoding on Front Desk: place a card on it…')
    assert.equal(seen.at(-1), 'success:Card encoded on Front Desk (card [hex]).')
    // The button, disabled while encoding, has the focus back.
    await grant.getByRole('button', { name: 'Encode again', disabled: false }).waitFor()
    assert.equal(await inPage('document.activeElement.textContent'), 'Encode again')
    await grant.getByText(/^Encoded /).waitFor()
    const [methodId] = accessGrant.access_method_ids
    assert.ok(methodId)
    const method = await server.current.seam().accessMethods.get({ access_method_id: methodId })
    assert.equal(method.is_issued, true)
  })

  step('a failed encoding is told in plain words', async () => {
    await server.current
      .seam()
      .acs.encoders.simulate.nextCredentialEncodeWillFail({ acs_encoder_id: frontDesk })
    const grant = page.locator('article.grant').first()
    await grant.getByRole('button', { name: 'Encode again' }).click()
    await waitForState(
      status(grant, 'encode-status'),
      'error',
      /Encoding failed: There is no card on the encoder\. Place a card on it and try again\./,
    )
    // The card written before is still the guest's.
    await grant.getByRole('button', { name: 'Encode again' }).click()
    await waitForState(status(grant, 'encode-status'), 'success', /Card encoded/)
  })

  step(
    'Scan shows the card in sync, then the out-of-sync field after the stay changes',
    async () => {
      await openPage('Scan')
      await page.getByLabel('Encoder').selectOption({ label: 'Front Desk' })
      await page.getByRole('button', { name: 'Scan card' }).click()
      await waitForState(status(page, 'scan-status'), 'success', /Card read on Front Desk/)
      await page.getByText('The card matches the server.').waitFor()
      assert.equal(await page.locator('tr.out-of-sync').count(), 0)

      // The guest stays a day longer.
      await openPage('Guests')
      await page.getByLabel('Name, email or phone').fill('Ada')
      await page.getByRole('button', { name: 'Find' }).click()
      await page.getByRole('button', { name: 'Ada Lovelace (ada@hotel.example)' }).click()
      const grant = page.locator('article.grant').first()
      await grant.getByText('Change the stay').click()
      await grant.getByLabel('Leaves').fill('2031-03-05T11:00')
      await grant.getByRole('button', { name: 'Save the stay' }).click()
      await page
        .locator('article.grant')
        .first()
        .getByText('Needs encoding again (the stay or rooms changed)')
        .waitFor()

      await openPage('Scan')
      await page.getByLabel('Encoder').selectOption({ label: 'Front Desk' })
      await page.getByRole('button', { name: 'Scan card' }).click()
      await page
        .getByRole('list', { name: 'Warnings' })
        .getByText(
          'The following properties are out of sync between acs_credential_on_encoder and acs_credential_on_seam: ends_at',
        )
        .waitFor()
      const outOfSync = page.locator('tr.out-of-sync')
      assert.deepEqual(
        await outOfSync.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-property'))),
        ['ends_at'],
      )
      const endsAt = page.locator('tr[data-property="ends_at"]')
      assert.match(await endsAt.locator('th').innerText(), /out of sync/)
      assert.match(await endsAt.locator('[data-side="card"]').innerText(), /4 Mar 2031/)
      assert.match(await endsAt.locator('[data-side="server"]').innerText(), /5 Mar 2031/)

      // Re-encode from the scan, and scan again.
      await page.getByRole('button', { name: 'Re-encode this card' }).click()
      await waitForState(status(page, 'reencode-status'), 'success', /encoded again/)
      await page.getByRole('button', { name: 'Scan card' }).click()
      await page.getByText('The card matches the server.').waitFor()
    },
  )

  step('Credentials, Events (by type) and Webhooks show what the API holds', async () => {
    await openPage('Credentials')
    await page.locator('tr[data-credential]').filter({ hasText: 'Room 101' }).first().waitFor()
    await page.locator('tr[data-access-method]').first().waitFor()

    await openPage('Events')
    await page.getByLabel('Event type').fill('access_method.reissued')
    await page.getByRole('button', { name: 'Show' }).click()
    await status(page, 'events-status')
      .filter({ hasText: /of type access_method\.reissued/ })
      .waitFor()
    const types = await page
      .locator('tr[data-event-type]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-type')))
    assert.ok(types.length >= 1)
    assert.ok(
      types.every((t) => t === 'access_method.reissued'),
      types.join(),
    )
    const reissued = await server.current
      .seam()
      .events.list({ since, event_type: 'access_method.reissued' })
    assert.equal(types.length, reissued.length)

    await openPage('Webhooks')
    await page.getByLabel('URL').fill('http://127.0.0.1:9/keysmith-hook')
    await page.getByLabel('Event types').fill('acs_user.created')
    await page.getByRole('button', { name: 'Add webhook' }).click()
    const row = page
      .locator('tr[data-webhook]')
      .filter({ hasText: 'http://127.0.0.1:9/keysmith-hook' })
    await row.waitFor()
    assert.match(await row.innerText(), /acs_user\.created/)
    // An event it asks for is delivered to a port nobody listens on: the delivery and
    // its failed try show on the page.
    await server.current.seam().acs.users.create({ acs_system_id: hotel, full_name: 'Hook Guest' })
    const delivery = page.locator('tr[data-delivery]').filter({ hasText: 'acs_user.created' })
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Refresh deliveries' }).click()
        return (await delivery.locator('li').count()) > 0 ? true : undefined
      },
      { what: 'the delivery and its first try on the page' },
    )
    assert.match(await delivery.innerText(), /Try 1, .*: /)
    assert.match(await delivery.innerText(), /http:\/\/127\.0\.0\.1:9\/keysmith-hook/)
    await row
      .getByRole('button', { name: 'Delete the webhook to http://127.0.0.1:9/keysmith-hook' })
      .click()
    await row.waitFor({ state: 'detached' })
    assert.deepEqual(await server.current.seam().webhooks.list(), [])
  })

  step('works at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    try {
      await openPage('Scan')
      await page.getByRole('button', { name: 'Scan card' }).waitFor()
      const overflow = Number(
        await inPage('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
      )
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`)
      const nav = await page.getByRole('navigation', { name: 'Pages' }).boundingBox()
      const main = await page.locator('main').boundingBox()
      assert.ok(
        nav && main && main.y >= nav.y + nav.height - 1,
        'the pages are listed above the page',
      )
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 })
    }
  })

  step('resets the sandbox', async () => {
    await openPage('Sandbox')
    await page.getByLabel('I understand: delete everything in this sandbox').check()
    await page.getByRole('button', { name: 'Reset sandbox' }).click()
    await page.getByRole('status').filter({ hasText: 'The sandbox is reset.' }).waitFor()
    assert.deepEqual(
      await server.current.seam().userIdentities.list({ search: 'Ada Lovelace' }),
      [],
    )
  })

  step('a key the server stops accepting signs the tab out, saying why', async () => {
    await inPage(`sessionStorage.setItem('keysmith.console.apiKey', 'seam_revoked_key')`)
    await page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('link', { name: 'Events' })
      .click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await page
      .getByRole('status')
      .filter({ hasText: /refused the API key.*Sign in again/ })
      .waitFor()
    assert.equal(await inPage('sessionStorage.length'), 0)
    await page.getByLabel('API key').fill(server.current.apiKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor()
  })

  step('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    assert.equal(await inPage(`sessionStorage.length`), 0)
  })
}

forEachDatabase(
  'front-desk console in Chromium',
  (kind) => {
    if (!available) {
      test('chromium is installed', {
        skip:
          !required && `no Chromium at ${executablePath} (apt-get install chromium; .ci/run does)`,
      }, () => {
        assert.fail(`Chromium is missing at ${executablePath}; .ci/run installs it with apt-get`)
      })
      return
    }
    browserSuite(kind)
  },
  { timeoutMs: 90_000 },
)
