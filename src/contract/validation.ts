import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { DomainError, type ValidationErrors } from '../domain/errors.js'
import { type JsonSchema, propertyAlternatives, requestSchema, toJsonSchema } from './openapi.js'
import { decodeQuery } from './query.js'

// ajv-formats is CommonJS: its plugin is `module.exports` and `module.exports.default`.
const addFormats = addFormatsModule.default

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false })
addFormats(ajv)

/** `lowercase: true` rewrites the string in place (UUIDs, which are case-insensitive). */
ajv.addKeyword({
  keyword: 'lowercase',
  type: 'string',
  modifying: true,
  schemaType: 'boolean',
  validate: (
    enabled: boolean,
    data: string,
    _schema?: unknown,
    context?: { parentData: Record<string | number, unknown>; parentDataProperty: string | number },
  ) => {
    if (enabled && context?.parentData !== undefined) {
      context.parentData[context.parentDataProperty] = data.toLowerCase()
    }
    return true
  },
})

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
  return toJsonSchema({ allOf: [schema, { type: 'object', properties }] }, { request: true })
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

export const requestContract = <T>(path: string): RequestContract<T> => {
  const schema = requestSchema(path)
  const validate = ajv.compile(completeSchema(schema))
  const check = (input: unknown): T => {
    const value = input ?? {}
    if (!validate(value)) throw invalidInputFrom(validate)
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

const describe = (error: ErrorObject): string => {
  const params = error.params as { missingProperty?: string; allowedValues?: unknown[] }
  if (error.keyword === 'required') return 'Required'
  if (error.keyword === 'type' && error.instancePath === '')
    return 'Parameters must be a JSON object'
  // The path inside the parameter, e.g. `card_format` of a `<brand>_metadata` object.
  const at = error.instancePath.split('/').filter(Boolean).slice(1).join('.')
  const what =
    error.keyword === 'enum' && params.allowedValues
      ? `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
      : (error.message ?? 'is invalid')
  return `${at ? `${at} ` : ''}${what}`
}

/**
 * Builds Seam's `invalid_input` error: `validation_errors` maps each parameter to its
 * messages (the shape the official SDK reads); the message says the same in one line.
 */
const invalidInputFrom = (validate: ValidateFunction): DomainError => {
  const errors = validate.errors ?? []
  // A Map, not an object: parameter names such as "constructor" must not meet
  // Object.prototype.
  const messages = new Map<string, string[]>([['_errors', []]])
  const add = (key: string, message: string): void => {
    const list = messages.get(key) ?? []
    if (!list.includes(message)) list.push(message)
    messages.set(key, list)
  }
  // Where the document offers alternatives (by user, by system…), errors come from
  // each. If some alternative failed on a value, the caller chose it: report that,
  // not the parameters the others lack. If all failed only on missing parameters,
  // say which ones would do.
  const alternatives = errors.some((e) => e.keyword === 'anyOf' && e.instancePath === '')
  const inAlternatives = errors.filter(
    (e) => e.keyword !== 'anyOf' && e.schemaPath.includes('/anyOf/'),
  )
  const missing = inAlternatives.filter((e) => e.keyword === 'required' && e.instancePath === '')
  const chosen = inAlternatives.length > missing.length
  if (alternatives && !chosen) {
    const options = [...new Set(missing.map(parameterOf).filter(Boolean))]
    add('_errors', `Provide one of: ${options.join(', ')}`)
  }
  for (const error of errors) {
    if (error.keyword === 'anyOf') continue
    if (alternatives && missing.includes(error)) continue
    add(parameterOf(error) ?? '_errors', describe(error))
  }
  const summary = [...messages]
    .flatMap(([key, list]) => list.map((m) => (key === '_errors' ? m : `${key}: ${m}`)))
    .join('; ')
  const validationErrors: ValidationErrors = {
    ...Object.fromEntries([...messages].map(([key, list]) => [key, { _errors: list }])),
    _errors: messages.get('_errors') ?? [],
  }
  return new DomainError(
    'invalid_input',
    'invalid_input',
    `Invalid input: ${summary}`,
    validationErrors,
  )
}

export type { JsonSchema }
