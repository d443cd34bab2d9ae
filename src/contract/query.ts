import type { JsonSchema } from './openapi.js'
import { propertySchemas } from './openapi.js'

/**
 * Turns a GET query string into the same object a POST body would carry, reading
 * types from the request schema. It undoes what the official SDK's serializer
 * (`@seamapi/url-search-params-serializer`) does: arrays are repeated keys and an
 * empty array is one empty value, nested objects use dotted keys, `null` is an empty
 * value, and `_strict` is the serializer's own marker.
 */
export const decodeQuery = (
  searchParams: URLSearchParams,
  schema: JsonSchema,
): Record<string, unknown> => {
  const result: Record<string, unknown> = {}
  const keys = new Set(searchParams.keys())
  keys.delete('_strict')
  for (const key of keys) {
    const path = key.split('.')
    // Names that reach Object.prototype are never parameters: skip them rather than
    // let a query string write through them.
    if (path.some((segment) => forbidden.has(segment))) continue
    const values = searchParams.getAll(key)
    let target = result
    let properties = propertySchemas(schema)
    for (const segment of path.slice(0, -1)) {
      const nested = Object.hasOwn(target, segment) ? target[segment] : undefined
      const child: Record<string, unknown> =
        typeof nested === 'object' && nested !== null && !Array.isArray(nested)
          ? (nested as Record<string, unknown>)
          : {}
      target[segment] = child
      target = child
      properties = propertySchemas(properties.get(segment) ?? {})
    }
    const name = path.at(-1) ?? key
    target[name] = decodeValue(values, properties.get(name))
  }
  return result
}

const forbidden = new Set(['__proto__', 'constructor', 'prototype'])

const typesOf = (schema: JsonSchema | undefined): Set<string> => {
  const types = new Set<string>()
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return
    const { type, oneOf, anyOf } = node as JsonSchema
    if (typeof type === 'string') types.add(type)
    if (Array.isArray(type)) for (const t of type) types.add(String(t))
    for (const alternatives of [oneOf, anyOf])
      if (Array.isArray(alternatives)) alternatives.forEach(visit)
  }
  visit(schema)
  return types
}

const decodeValue = (values: string[], schema: JsonSchema | undefined): unknown => {
  const types = typesOf(schema)
  if (types.has('array')) {
    if (values.length === 1 && values[0] === '') return []
    const items = (schema?.items ?? undefined) as JsonSchema | undefined
    return values.map((value) => decodeScalar(value, items))
  }
  const last = values.at(-1) ?? ''
  if (values.length > 1 && types.size === 0) return values
  return decodeScalar(last, schema)
}

const decodeScalar = (value: string, schema: JsonSchema | undefined): unknown => {
  const types = typesOf(schema)
  if (value === '' && (schema?.nullable === true || types.has('null'))) return null
  if (types.has('boolean') && (value === 'true' || value === 'false')) return value === 'true'
  if ((types.has('number') || types.has('integer')) && value.trim() !== '') {
    const number = Number(value)
    if (Number.isFinite(number)) return number
  }
  return value
}

/**
 * The inverse of `decodeQuery`, in the official SDK's format: arrays as repeated keys
 * (an empty array as one empty value), nested objects with dotted keys, null as empty.
 */
export const encodeQuery = (params: Record<string, unknown>): URLSearchParams => {
  const search = new URLSearchParams()
  const visit = (value: unknown, name: string): void => {
    // As the SDK's serializer: nothing for undefined or '', ISO text for dates.
    if (value === undefined || value === '') return
    if (value instanceof Date) {
      search.append(name, value.toISOString())
      return
    }
    if (Array.isArray(value)) {
      if (value.length === 0) search.append(name, '')
      for (const item of value) search.append(name, String(item))
      return
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, nested] of Object.entries(value)) visit(nested, `${name}.${key}`)
      return
    }
    search.append(name, value === null ? '' : String(value))
  }
  for (const [key, value] of Object.entries(params)) visit(value, key)
  return search
}
