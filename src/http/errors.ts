import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import {
  DomainError,
  type ErrorKind,
  RateLimitedError,
  type ValidationErrors,
} from '../domain/errors.js'

/** The error body every failure answers with, Seam's shape. */
export interface ErrorBody {
  error: {
    type: string
    message: string
    request_id: string
    validation_errors?: ValidationErrors
  }
}

export interface HttpFailure {
  status: number
  type: string
  message: string
  validationErrors?: ValidationErrors | undefined
  /** True when the failure is a defect of ours, worth logging with its stack. */
  unexpected?: boolean
  /** Response headers the failure needs (Retry-After on a 429). */
  headers?: Record<string, string>
}

const statusOfKind: Record<ErrorKind, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unsupported_media_type: 415,
  too_many_requests: 429,
}

/**
 * PostgreSQL codes for values it could not read or store (a bad uuid, an out-of-range
 * date or number, a NUL character…): bad input. Validation refuses these first; this
 * is the net under it.
 */
const invalidValueCodes = new Set(['22P02', '22007', '22008', '22009', '22003', '22021', '22023'])

/**
 * PostgreSQL codes for a race with another transaction: a row the request refers to
 * was deleted meanwhile (a sandbox reset deletes and re-creates everything), a
 * deadlock, a serialization failure. Nothing was written; retrying is safe.
 */
const concurrentChangeCodes = new Set(['23503', '40P01', '40001'])

/**
 * A unique key taken by a concurrent transaction between our check and our insert
 * (the check answers `…_already_in_use` when there is no race).
 */
const uniqueViolation = '23505'

/**
 * PostgreSQL's codes for a server going away or not taking connections (admin_shutdown,
 * crash_shutdown, cannot_connect_now, too_many_connections), and socket errors of a
 * connection refused or cut. The database layer reports these as
 * KEYSMITH_DATABASE_UNAVAILABLE; this is the net under it.
 */
const unavailableCodes = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
])

const isUnavailable = (code: string | undefined): boolean =>
  code !== undefined &&
  (code === 'KEYSMITH_DATABASE_UNAVAILABLE' ||
    unavailableCodes.has(code) ||
    /^08[0-9A-Z]{3}$/.test(code))

/**
 * Maps anything a request can throw to a status and a Seam error. No input gets a
 * 500 on purpose: only a defect does, and its details stay in the log.
 */
export const toHttpFailure = (error: unknown): HttpFailure => {
  if (error instanceof DomainError) {
    return {
      status: statusOfKind[error.kind],
      type: error.type,
      message: error.message,
      validationErrors: error.validationErrors,
      ...(error instanceof RateLimitedError
        ? { headers: { 'retry-after': String(error.retryAfterSeconds) } }
        : {}),
    }
  }
  const { code, statusCode, timeoutMs } = (error ?? {}) as {
    code?: string
    statusCode?: number
    timeoutMs?: number
  }
  if (code === 'KEYSMITH_INVALID_CURSOR' && error instanceof Error) {
    const { parameter } = error as Error & { parameter: string }
    return {
      status: 400,
      type: 'invalid_input',
      message: error.message,
      validationErrors: { _errors: [], [parameter]: { _errors: [error.message] } },
    }
  }
  if (code === 'KEYSMITH_DEADLINE_EXCEEDED') {
    return {
      status: 503,
      type: 'request_timeout',
      message: `The request did not finish within ${timeoutMs ?? 'its'} ms and was stopped; nothing it changed was saved. Retry it.`,
    }
  }
  if (code === '57014') {
    // PostgreSQL cancelled a statement past the statement timeout (the request's own
    // deadline and a margin): nothing it did was saved.
    return {
      status: 503,
      type: 'request_timeout',
      message:
        'The request took too long in the database and was stopped; nothing it changed was saved. Retry it.',
    }
  }
  if (isUnavailable(code)) {
    // Fails fast while the database is away (restarting, say); nothing was done.
    return {
      status: 503,
      type: 'service_unavailable',
      message: 'The database cannot be reached for the moment; retry the request.',
      headers: { 'retry-after': '1' },
    }
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, type: 'payload_too_large', message: 'The request body is too large' }
  }
  if (
    code?.startsWith('FST_ERR_CTP') ||
    (statusCode !== undefined && statusCode >= 400 && statusCode < 500)
  ) {
    return { status: 400, type: 'invalid_input', message: 'The request could not be read' }
  }
  if (code !== undefined && invalidValueCodes.has(code)) {
    return {
      status: 400,
      type: 'invalid_input',
      message: 'A parameter has a value that is not valid',
    }
  }
  if (code === uniqueViolation) {
    return {
      status: 409,
      type: 'conflict',
      message:
        'Another request stored something with the same key at the same moment; use another key or retry',
    }
  }
  if (code !== undefined && concurrentChangeCodes.has(code)) {
    return {
      status: 409,
      type: 'conflict',
      message:
        'Something this request refers to changed while it ran (a sandbox reset, say); retry the request',
    }
  }
  return {
    status: 500,
    type: 'internal_server_error',
    message: 'Something went wrong on our side; the request id identifies it in the server log',
    unexpected: true,
  }
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers or URL over the
 * limit, a request that never finishes arriving, malformed HTTP), answered in Seam's
 * error shape like every other failure. The connection is closed afterwards.
 */
export const answerClientError = (
  error: Error & { code?: string },
  socket: {
    destroyed: boolean
    writable: boolean
    write(data: string): unknown
    destroy(error?: Error): unknown
  },
): void => {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, type, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request_too_large', 'The URL and headers together are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request did not arrive in time']
        : [400, 'invalid_input', 'The request is not valid HTTP']
  const requestId = randomUUID()
  const body = JSON.stringify({ error: { type, message, request_id: requestId } })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `seam-request-id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
  }
  socket.destroy(error)
}
