/**
 * When a failed webhook delivery is tried again. Seam's documented schedule: right
 * away, then 5 seconds, 5 minutes, 30 minutes, 2 hours, 5 hours, 10 hours and 10
 * hours after each failure — eight tries over about 27.5 hours — then it gives up.
 */
export const defaultRetryScheduleMs: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
]

/**
 * The wait before try `attemptNumber + 1` after try `attemptNumber` (1-based)
 * failed, or undefined when the schedule is exhausted and the delivery fails.
 */
export const retryDelayAfter = (
  schedule: readonly number[],
  attemptNumber: number,
): number | undefined => schedule[attemptNumber - 1]

/** Reads "5000,300000,…" (milliseconds); throws on anything else. */
export const parseRetrySchedule = (text: string): number[] => {
  const delays = text.split(',').map((part) => part.trim())
  if (delays.some((d) => !/^\d+$/.test(d))) {
    throw new Error(`a retry schedule is a comma-separated list of milliseconds, got "${text}"`)
  }
  return delays.map(Number)
}
