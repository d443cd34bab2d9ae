import { type AccessGrant, type AccessMethod, type AcsCredential, call } from '../api.js'
import { listSystems, pageHeading } from '../common.js'
import { h, show, table, when } from '../dom.js'

/** Every credential of every access system, and every Access Grant's access methods. */
export const renderCredentials = async (main: HTMLElement): Promise<void> => {
  const systems = await listSystems()
  const [credentialLists, grants] = await Promise.all([
    Promise.all(
      systems.map(
        async (system) =>
          [
            system,
            (
              await call<{ acs_credentials: AcsCredential[] }>('/acs/credentials/list', {
                acs_system_id: system.acs_system_id,
                limit: 1000,
              })
            ).acs_credentials,
          ] as const,
      ),
    ),
    call<{ access_grants: AccessGrant[] }>('/access_grants/list', { limit: 1000 }),
  ])
  const methods = await Promise.all(
    grants.access_grants.map(
      async (grant) =>
        [
          grant,
          (
            await call<{ access_methods: AccessMethod[] }>('/access_methods/list', {
              access_grant_id: grant.access_grant_id,
            })
          ).access_methods,
        ] as const,
    ),
  )

  const credentialSections = credentialLists.map(([system, credentials]) =>
    h(
      'section',
      { 'aria-label': system.name },
      h('h3', {}, system.name),
      credentials.length === 0
        ? h('p', {}, 'No credentials.')
        : h(
            'div',
            { class: 'scroll' },
            table(
              `Credentials of ${system.name}`,
              ['Credential', 'Kind', 'Card or code', 'Valid', 'Issued', 'Warnings'],
              credentials.map((c) =>
                h(
                  'tr',
                  { 'data-credential': c.acs_credential_id },
                  h('th', { scope: 'row' }, c.display_name),
                  h('td', {}, c.access_method),
                  h('td', {}, c.card_number ?? c.code ?? '—'),
                  h('td', {}, `${when(c.starts_at)} – ${when(c.ends_at)}`),
                  h('td', {}, c.is_issued ? when(c.issued_at) : 'No'),
                  h('td', {}, c.warnings.map((w) => w.message ?? w.warning_code).join(' ') || '—'),
                ),
              ),
            ),
          ),
    ),
  )

  const methodRows = methods.flatMap(([grant, list]) =>
    list.map((m) =>
      h(
        'tr',
        { 'data-access-method': m.access_method_id },
        h('th', { scope: 'row' }, m.display_name),
        h('td', {}, grant.display_name),
        h('td', {}, m.mode),
        h('td', {}, m.is_issued ? when(m.issued_at) : 'No'),
        h('td', {}, m.is_encoding_required ? 'Yes' : 'No'),
      ),
    ),
  )

  show(
    main,
    pageHeading('Credentials and access methods'),
    h('h2', {}, 'Credentials'),
    ...credentialSections,
    h('h2', {}, 'Access methods'),
    methodRows.length === 0
      ? h('p', {}, 'No Access Grants yet.')
      : h(
          'div',
          { class: 'scroll' },
          table(
            'Access methods of the Access Grants',
            ['Access method', 'Access Grant', 'Mode', 'Issued', 'Needs encoding'],
            methodRows,
          ),
        ),
  )
}
