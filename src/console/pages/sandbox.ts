import { type ActionAttempt, call, type Workspace } from '../api.js'
import { followAttempt } from '../attempt.js'
import { pageHeading } from '../common.js'
import { form, h, show, statusLine } from '../dom.js'

/** Resets a sandbox workspace to its seeded state (/workspaces/reset_sandbox). */
export const renderSandbox = async (main: HTMLElement, workspace: Workspace): Promise<void> => {
  if (!workspace.is_sandbox) {
    show(main, pageHeading('Sandbox'), h('p', {}, 'This workspace is not a sandbox.'))
    return
  }
  const confirm = h('input', {
    type: 'checkbox',
    name: 'confirm',
    required: true,
    id: 'confirm-reset',
  })
  const line = statusLine()
  show(
    main,
    pageHeading('Sandbox'),
    h(
      'p',
      {},
      'Resetting the sandbox deletes every guest, grant, credential and event of this workspace and seeds it again as it was at the first start.',
    ),
    form(
      { 'aria-label': 'Reset the sandbox' },
      async () => {
        await followAttempt(
          line,
          {
            pending: 'Resetting the sandbox',
            success: 'The sandbox is reset.',
            failure: 'The reset failed',
          },
          async () =>
            (await call<{ action_attempt: ActionAttempt }>('/workspaces/reset_sandbox'))
              .action_attempt,
        )
        confirm.checked = false
      },
      h(
        'div',
        { class: 'check' },
        confirm,
        h('label', { for: confirm.id }, 'I understand: delete everything in this sandbox'),
      ),
      h('button', { type: 'submit', class: 'danger' }, 'Reset sandbox'),
      line,
    ),
  )
}
