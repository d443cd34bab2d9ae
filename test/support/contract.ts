import { openapi } from '@seamapi/types/connect'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { componentSchema, type JsonSchema, toJsonSchema } from '../../src/contract/openapi.js'

/**
 * Checks what Keysmith returns against the official OpenAPI document: component
 * schemas (`acs_credential`, `action_attempt`, ...) and whole 200 responses.
 */

const ajv = new Ajv({ allErrors: true, strict: false })
addFormatsModule.default(ajv)

/**
 * The one place the pinned document lags behind Seam's guides (and seed 003):
 * `/access_methods/encode` answers with an ENCODE_ACCESS_METHOD attempt whose result
 * is the access method. Those attempts are checked against ENCODE_CREDENTIAL's
 * envelope and errors, with the `access_method` schema as the result.
 */
const withEncodeAccessMethod = (actionAttempt: JsonSchema): JsonSchema => {
  const variants = (actionAttempt.oneOf ?? []) as JsonSchema[]
  const typeOf = (v: JsonSchema) =>
    ((v.properties as Record<string, { enum?: string[] }>).action_type?.enum ?? [])[0]
  const extra = variants
    .filter((v) => typeOf(v) === 'ENCODE_CREDENTIAL')
    .map((v) => {
      const properties = { ...(v.properties as Record<string, JsonSchema>) }
      properties.action_type = { type: 'string', enum: ['ENCODE_ACCESS_METHOD'] }
      const status = (properties.status?.enum as string[] | undefined)?.[0]
      if (status === 'success') properties.result = { $ref: '#/components/schemas/access_method' }
      return { ...v, properties }
    })
  return { ...actionAttempt, oneOf: [...variants, ...extra] }
}

const extendRefs = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(extendRefs)
  if (typeof node !== 'object' || node === null) return node
  const record = node as JsonSchema
  if (record.$ref === '#/components/schemas/action_attempt') {
    return withEncodeAccessMethod(componentSchema('action_attempt'))
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, extendRefs(v)]))
}

const cache = new Map<string, ValidateFunction>()
const compiled = (key: string, schema: () => JsonSchema): ValidateFunction => {
  let validate = cache.get(key)
  if (!validate) {
    validate = ajv.compile(toJsonSchema(schema(), { request: false }))
    cache.set(key, validate)
  }
  return validate
}

const explain = (validate: ValidateFunction): string =>
  (validate.errors ?? [])
    .slice(0, 12)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n  ')

export class ContractViolation extends Error {}

/** Throws unless `value` is a valid `name` resource (e.g. `acs_credential`). */
export const assertResource = (name: string, value: unknown): void => {
  const validate = compiled(`component:${name}`, () =>
    name === 'action_attempt'
      ? withEncodeAccessMethod(componentSchema(name))
      : componentSchema(name),
  )
  if (!validate(value)) {
    throw new ContractViolation(
      `Not a valid ${name}:\n  ${explain(validate)}\n${JSON.stringify(value, null, 2).slice(0, 2000)}`,
    )
  }
}

type Operations = Record<
  string,
  Record<
    string,
    { responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }> }
  >
>
const paths = (openapi as unknown as { paths: Operations }).paths

/** Throws unless `body` is a valid 200 response of `method path`. */
export const assertResponse = (method: string, path: string, body: unknown): void => {
  const ok = paths[path]?.[method.toLowerCase()]?.responses?.['200']
  const schema = ok?.content?.['application/json']?.schema
  if (ok && !ok.content) {
    // A 200 the document describes without a body (`/workspaces/update`): only `ok`.
    if (JSON.stringify(body) !== '{"ok":true}') {
      throw new ContractViolation(
        `${method} ${path} answers only { ok: true }, got ${JSON.stringify(body)}`,
      )
    }
    return
  }
  if (!schema) throw new ContractViolation(`${method} ${path} is not in the OpenAPI document`)
  const validate = compiled(`response:${method}:${path}`, () => extendRefs(schema) as JsonSchema)
  if (!validate(body)) {
    throw new ContractViolation(
      `Invalid response of ${method} ${path}:\n  ${explain(validate)}\n${JSON.stringify(body, null, 2).slice(0, 2000)}`,
    )
  }
}

/** Throws unless `body` is Seam's error shape with a request id. */
export const assertErrorBody = (body: unknown): void => {
  const error = (body as { error?: Record<string, unknown> } | null)?.error
  if (
    !error ||
    typeof error.type !== 'string' ||
    typeof error.message !== 'string' ||
    typeof error.request_id !== 'string'
  ) {
    throw new ContractViolation(`Not a Seam error body: ${JSON.stringify(body)}`)
  }
  if (error.validation_errors !== undefined && !isValidationErrors(error.validation_errors)) {
    throw new ContractViolation(
      `validation_errors is not zod's format() shape: ${JSON.stringify(error.validation_errors)}`,
    )
  }
}

const isStrings = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

/** `{ _errors: string[], <parameter>: { _errors: string[] }, … }`, as Seam answers. */
const isValidationErrors = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  Object.entries(value).every(([key, entry]) =>
    key === '_errors'
      ? isStrings(entry)
      : typeof entry === 'object' &&
        entry !== null &&
        isStrings((entry as { _errors?: unknown })._errors),
  ) &&
  isStrings((value as { _errors?: unknown })._errors)
