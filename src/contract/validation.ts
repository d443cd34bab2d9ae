import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { DomainError, type ValidationErrors } from '../domain/errors.js'
import { errorReportLimits, oversizedValue, withRequestLimits } from './limits.js'
import { type JsonSchema, propertyAlternatives, requestSchema, toJsonSchema } from './openapi.js'
import { decodeQuery } from './query.js'

// ajv-formats is CommonJS: its plugin is `module.exports` and `module.exports.default`.
const addFormats = addFormatsModule.default

/**
 * Two validators from the same schemas: `firstError` stops at the first problem (what
 * every request pays), `allErrors` finds every problem of a refused request so the
 * answer can name them all.
 */
const newAjv = (allErrors: boolean): Ajv => {
  const instance = new Ajv({ allErrors, strict: false, useDefaults: true, coerceTypes: false })
  addFormats(instance)
  /** `lowercase: true` rewrites the string in place (UUIDs, which are case-insensitive). */
  instance.addKeyword({
    keyword: 'lowercase',
    type: 'string',
    modifying: true,
    schemaType: 'boolean',
    validate: (
      enabled: boolean,
      data: string,
      _schema?: unknown,
      context?: {
        parentData: Record<string | number, unknown>
        parentDataProperty: string | number
      },
    ) => {
      if (enabled && context?.parentData !== undefined) {
        context.parentData[context.parentDataProperty] = data.toLowerCase()
      }
      return true
    },
  })
  return instance
}
const ajv = { firstError: newAjv(false), allErrors: newAjv(true) }

/** Items of each array that a refusal's report looks at (see `reportOn`). */
const reportedItems = 100

/**
 * A copy of a refused value whose arrays keep only their first items: the report
 * then costs the same for 100 bad items as for 10,000 (limits.ts keeps arrays short
 * enough that the rest is refused as a whole). `truncated` says whether anything
 * was cut.
 */
const reportOn = (value: unknown): { sample: unknown; truncated: boolean } => {
  let truncated = false
  const copy = (node: unknown, depth: number): unknown => {
    if (typeof node !== 'object' || node === null || depth > 64) return node
    if (Array.isArray(node)) {
      if (node.length > reportedItems) truncated = true
      return node.slice(0, reportedItems).map((item) => copy(item, depth + 1))
    }
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(node)) {
      Object.defineProperty(out, key, {
        value: copy(child, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return out
  }
  return { sample: copy(value, 0), truncated }
}

/** Validates one route's parameters against the OpenAPI document. */
export interface RequestContract<T> {
  /** Parses a JSON body (absent body = no parameters). */
  fromBody(body: unknown): T
  /** Parses a query string, typed by the same schema. */
  fromQuery(searchParams: URLSearchParams): T
}

/**
 * The document's schema, plus every property any of its alternatives declares: when
 * an alternative that does not mention a parameter matches (say `{}`), the
 * parameter must still have the type the other alternatives give it.
 */
const completeSchema = (schema: JsonSchema): JsonSchema => {
  const properties = Object.fromEntries(
    [...propertyAlternatives(schema)].map(([name, schemas]) => [
      name,
      schemas.length === 1 ? schemas[0] : { anyOf: schemas },
    ]),
  )
  return withRequestLimits(
    toJsonSchema({ allOf: [schema, { type: 'object', properties }] }, { request: true }),
  )
}

/**
 * PostgreSQL cannot store U+0000 in text: such a parameter is refused, naming it.
 * The walk is iterative, so a deeply nested body cannot exhaust the stack.
 */
const nulParameter = (value: unknown): string | undefined => {
  const pending: [unknown, string][] = [[value, '_errors']]
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [current, parameter] = item
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return parameter
      continue
    }
    if (typeof current !== 'object' || current === null) continue
    const top = current === value && !Array.isArray(current)
    for (const [key, child] of Object.entries(current)) pending.push([child, top ? key : parameter])
  }
  return undefined
}

/**
 * Compiling a validator takes milliseconds, and there are two per route: none is
 * compiled at start-up. A route's validators are compiled on its first request, or
 * earlier in the background once `warmUpContracts()` is called (after the server
 * listens), one per turn of the event loop so no request waits behind them. Only the
 * validator every request runs is warmed up: the one that explains a refusal is
 * compiled on a route's first refused request (under 3 ms for the largest schema on a
 * loaded 2-core machine), since warming both for all 300-odd routes held about 30 MB
 * of heap that most routes never use (README, benchmark).
 */
const warmUps: (() => unknown)[] = []
let warming = false
const warmNext = () => {
  warmUps.shift()?.()
  if (warmUps.length > 0) setImmediate(warmNext).unref()
  else warming = false
}

/** Starts compiling, in the background, every validator not compiled yet. */
export const warmUpContracts = (): void => {
  if (warming || warmUps.length === 0) return
  warming = true
  setImmediate(warmNext).unref()
}

export const requestContract = <T>(path: string): RequestContract<T> => {
  const schema = requestSchema(path)
  let complete: JsonSchema | undefined
  const completed = () => {
    complete ??= completeSchema(schema)
    return complete
  }
  let validate: ValidateFunction | undefined
  const prepareValidate = () => {
    validate ??= ajv.firstError.compile(completed())
    return validate
  }
  let explain: ValidateFunction | undefined
  const prepare = () => {
    explain ??= ajv.allErrors.compile(completed())
    return explain
  }
  warmUps.push(prepareValidate)
  /** Every problem of a value `validate` refused, found at a bounded cost. */
  const refusal = (value: unknown): DomainError => {
    explain = prepare()
    const { sample, truncated } = reportOn(value)
    if (!explain(sample)) return invalidInputFrom(explain, truncated)
    // The problems are all past the items looked at: look at everything (they are few).
    explain(value)
    return invalidInputFrom(explain, false)
  }
  const check = (input: unknown): T => {
    const value = input ?? {}
    const oversized = oversizedValue(value)
    if (oversized) {
      const { parameter, message } = oversized
      throw new DomainError(
        'invalid_input',
        'invalid_input',
        `Invalid input: ${parameter === '_errors' ? 'Parameters' : parameter} ${message}`,
        parameter === '_errors'
          ? { _errors: [`Parameters ${message}`] }
          : { _errors: [], [clip(parameter)]: { _errors: [message] } },
      )
    }
    if (!prepareValidate()(value)) throw refusal(value)
    const parameter = nulParameter(value)
    if (parameter) {
      const message = 'must not contain the NUL character (U+0000)'
      throw new DomainError(
        'invalid_input',
        'invalid_input',
        `Invalid input: ${parameter} ${message}`,
        { _errors: [], [parameter]: { _errors: [message] } },
      )
    }
    return value as T
  }
  return {
    fromBody: check,
    fromQuery: (searchParams) => check(decodeQuery(searchParams, schema)),
  }
}

const parameterOf = (error: ErrorObject): string | undefined => {
  const [first] = error.instancePath.split('/').filter(Boolean)
  if (first !== undefined) return first
  const params = error.params as { missingProperty?: string; additionalProperty?: string }
  return params.missingProperty ?? params.additionalProperty
}

/** A parameter name as echoed back: never longer than the report allows. */
const clip = (name: string): string =>
  name.length > errorReportLimits.parameterName
    ? `${name.slice(0, errorReportLimits.parameterName)}…`
    : name

const enumText = (values: readonly unknown[]): string => {
  const listed = values.slice(0, errorReportLimits.enumValues).map((v) => JSON.stringify(v))
  return values.length > listed.length
    ? `must be one of ${values.length} values, such as ${listed.slice(0, 3).join(', ')} (the API reference lists them)`
    : `must be one of ${listed.join(', ')}`
}

/**
 * One error as `[where, what]`: `where` is the path inside the parameter (e.g.
 * `card_format` of a `<brand>_metadata` object, `3` for an item), `what` the complaint.
 */
const describe = (error: ErrorObject): [string, string] => {
  const params = error.params as { missingProperty?: string; allowedValues?: unknown[] }
  if (error.keyword === 'required') return ['', 'Required']
  if (error.keyword === 'type' && error.instancePath === '') {
    return ['', 'Parameters must be a JSON object']
  }
  // The path inside the parameter, e.g. `card_format` of a `<brand>_metadata` object.
  const at = error.instancePath.split('/').filter(Boolean).slice(1).map(clip).join('.')
  const what =
    error.keyword === 'enum' && params.allowedValues
      ? enumText(params.allowedValues)
      : (error.message ?? 'is invalid')
  return [at, what]
}

/** Messages of one parameter, repeated complaints about items collapsed into one line. */
class ParameterReport {
  readonly #messages: string[] = []

  /**
   * `count` is how many items (array indexes) drew the same complaint; `atLeast`
   * that only the first items of long arrays were looked at.
   */
  add(at: string, what: string, count: number, atLeast: boolean): void {
    const text = `${at ? `${at} ` : ''}${what}`
    const more = `${atLeast ? 'at least ' : ''}${count - 1} more items like it`
    const message = count > 1 ? `${text} (and ${more})` : text
    if (!this.#messages.includes(message)) this.#messages.push(message)
  }

  messages(): string[] {
    const all = this.#messages
    const shown = all.slice(0, errorReportLimits.messagesPerParameter)
    if (all.length > shown.length) shown.push(`and ${all.length - shown.length} more problems`)
    return shown
  }
}

/**
 * Ajv's errors with the same complaint about different items of an array (the same
 * schema path, the same path but for item indexes) as one, with how many items.
 */
const collapse = (errors: readonly ErrorObject[]): { error: ErrorObject; count: number }[] => {
  const groups = new Map<string, { error: ErrorObject; paths: Set<string> }>()
  for (const error of errors) {
    const key = `${error.instancePath.replace(/\/\d+(?=\/|$)/g, '/#')}\u0000${error.schemaPath}`
    const group = groups.get(key)
    if (group) group.paths.add(error.instancePath)
    else groups.set(key, { error, paths: new Set([error.instancePath]) })
  }
  return [...groups.values()].map(({ error, paths }) => ({ error, count: paths.size }))
}

/**
 * Builds Seam's `invalid_input` error: `validation_errors` maps each parameter to its
 * messages (the shape the official SDK reads); the message says the same in one line.
 * However many items are wrong, the answer stays small: the same complaint about
 * many items is one message, and parameters and messages are capped.
 */
const invalidInputFrom = (validate: ValidateFunction, truncated: boolean): DomainError => {
  const errors = validate.errors ?? []
  // A Map, not an object: parameter names such as "constructor" must not meet
  // Object.prototype.
  const reports = new Map<string, ParameterReport>([['_errors', new ParameterReport()]])
  const add = (key: string, at: string, what: string, count = 1): void => {
    let report = reports.get(key)
    if (!report) {
      report = new ParameterReport()
      reports.set(key, report)
    }
    report.add(at, what, count, truncated)
  }
  // Where the document offers alternatives (by user, by system…), errors come from
  // each. If some alternative failed on a value, the caller chose it: report that,
  // not the parameters the others lack. If all failed only on missing parameters,
  // say which ones would do.
  const alternatives = errors.some((e) => e.keyword === 'anyOf' && e.instancePath === '')
  const inAlternatives = errors.filter(
    (e) => e.keyword !== 'anyOf' && e.schemaPath.includes('/anyOf/'),
  )
  const missing = new Set(
    inAlternatives.filter((e) => e.keyword === 'required' && e.instancePath === ''),
  )
  const chosen = inAlternatives.length > missing.size
  if (alternatives && !chosen) {
    const options = [...new Set([...missing].map(parameterOf).filter(Boolean))]
    add('_errors', '', `Provide one of: ${options.join(', ')}`)
  }
  const reported = errors.filter(
    (error) => error.keyword !== 'anyOf' && !(alternatives && missing.has(error)),
  )
  for (const { error, count } of collapse(reported)) {
    const parameter = parameterOf(error)
    const [at, what] = describe(error)
    add(parameter === undefined ? '_errors' : clip(parameter), at, what, count)
  }
  const named = [...reports].filter(([key]) => key !== '_errors')
  const shown = named.slice(0, errorReportLimits.parameters)
  const general = reports.get('_errors')?.messages() ?? []
  if (named.length > shown.length) {
    general.push(`and ${named.length - shown.length} more parameters with problems`)
  }
  const messages: [string, string[]][] = [
    ['_errors', general],
    ...shown.map(([key, report]): [string, string[]] => [key, report.messages()]),
  ]
  const summary = messages
    .flatMap(([key, list]) => list.map((m) => (key === '_errors' ? m : `${key}: ${m}`)))
    .join('; ')
  const validationErrors: ValidationErrors = {
    ...Object.fromEntries(messages.map(([key, list]) => [key, { _errors: list }])),
    _errors: general,
  }
  return new DomainError(
    'invalid_input',
    'invalid_input',
    `Invalid input: ${summary}`,
    validationErrors,
  )
}

export type { JsonSchema }
