/** JavaScript dates reach year 275760; the databases' timestamps stop at 9999 here. */
export const isStorableTime = (date: Date): boolean => {
  const year = date.getUTCFullYear()
  return !Number.isNaN(date.getTime()) && year >= 1 && year <= 9999
}
