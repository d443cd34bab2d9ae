import { isStorableTime } from '../db/time.js'
import { invalidInput } from './errors.js'

/** Parses an ISO 8601 timestamp parameter, or explains which parameter is wrong. */
export const parseTime = (value: string | Date, parameter: string): Date => {
  const date = new Date(value)
  if (!isStorableTime(date)) {
    throw invalidInput(
      `${parameter} must be an ISO 8601 date and time between years 1 and 9999`,
      parameter,
    )
  }
  return date
}

/** Some route types of `@seamapi/types` say Date where the JSON carries a string: accept both. */
export const parseOptionalTime = (value: string | Date | null | undefined, parameter: string) =>
  value === undefined || value === null ? undefined : parseTime(value, parameter)

/**
 * A validity window must end after it starts. `within` names the parameter holding
 * both times when they are nested (an ACS user's `access_schedule`).
 */
export const assertEndsAfterStarts = (
  startsAt: Date | null | undefined,
  endsAt: Date | null | undefined,
  within?: string,
): void => {
  if (startsAt && endsAt && endsAt <= startsAt) {
    throw within
      ? invalidInput(`${within}.ends_at must be later than ${within}.starts_at`, within)
      : invalidInput('ends_at must be later than starts_at', 'ends_at')
  }
}
