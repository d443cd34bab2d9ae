/** Polls `check` until it returns a value other than undefined; fails after `timeoutMs`. */
export const eventually = async <T>(
  check: () => Promise<T | undefined>,
  {
    timeoutMs = 10_000,
    intervalMs = 25,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`,
      )
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
