/**
 * The public API as the `keysmith` command calls it (encode, scan, events tail): plain
 * HTTP with an API key or PAT, exactly what any app could send. Errors come back in
 * the API's error shape and are thrown as `ApiCallError` with its message.
 */

export class ApiCallError extends Error {}

export interface ApiTarget {
  endpoint: string
  token: string
  workspaceId?: string | undefined
}

export const callApi = async <T>(
  target: ApiTarget,
  path: string,
  body: Record<string, unknown>,
): Promise<T> => {
  let response: Response
  try {
    response = await fetch(new URL(path, target.endpoint), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${target.token}`,
        'content-type': 'application/json',
        ...(target.workspaceId ? { 'seam-workspace': target.workspaceId } : {}),
      },
      body: JSON.stringify(body),
    })
  } catch (error) {
    throw new ApiCallError(`Could not reach ${target.endpoint}: ${(error as Error).message}`)
  }
  const parsed = (await response.json().catch(() => undefined)) as
    | (T & { error?: { type: string; message: string } })
    | undefined
  if (!response.ok || !parsed) {
    const error = parsed?.error
    throw new ApiCallError(
      error ? `${error.type}: ${error.message}` : `${path} answered ${response.status}`,
    )
  }
  return parsed
}

export interface AttemptView {
  action_attempt_id: string
  status: 'pending' | 'success' | 'error'
  result: unknown
  error: { type: string; message: string } | null
}

/** Polls an action attempt until it is no longer pending, calling `onWait` between polls. */
export const waitForAttempt = async (
  target: ApiTarget,
  attempt: AttemptView,
  onWait: () => void,
  pollMs = 200,
): Promise<AttemptView> => {
  let current = attempt
  while (current.status === 'pending') {
    onWait()
    await new Promise((resolve) => setTimeout(resolve, pollMs))
    current = (
      await callApi<{ action_attempt: AttemptView }>(target, '/action_attempts/get', {
        action_attempt_id: current.action_attempt_id,
      })
    ).action_attempt
  }
  return current
}
