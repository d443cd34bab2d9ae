/**
 * The pinned Seam OpenAPI document (from `@seamapi/types`) is the contract: request
 * validation, GET query decoding, event descriptions and the tests' response checks
 * are all read from it. This module is the only place that knows its layout.
 */

export type JsonSchema = { [key: string]: unknown }

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

interface Operation {
  security?: Record<string, unknown>[]
  requestBody?: { content?: { 'application/json'?: { schema?: JsonSchema } } }
  parameters?: { in: string; name: string; required?: boolean; schema: JsonSchema }[]
}

type PathItem = Partial<Record<HttpMethod, Operation>>

interface Document {
  openapi: string
  paths: Record<string, PathItem>
  components: { schemas: Record<string, JsonSchema>; securitySchemes?: Record<string, unknown> }
  servers?: { url: string }[]
}

/**
 * The document is read from its own module of the pinned package, not through
 * `@seamapi/types/connect`: that entry also builds every zod schema of the API, which
 * nothing here uses and which held about 11 MB of heap in every process (README,
 * benchmark). The package's exports map names no such entry, so the file is found next
 * to the one it does name (`connect.js` re-exports `lib/seam/connect/openapi.js`); a
 * release that moves it fails at start-up and in every test, never silently.
 */
const openapiModule = new URL(
  './lib/seam/connect/openapi.js',
  import.meta.resolve('@seamapi/types/connect'),
)
const { default: openapi } = (await import(openapiModule.href)) as { default: unknown }

const document = openapi as Document

const httpMethods: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete']

/** The HTTP methods the document allows for a path (Seam routes take POST and often GET). */
export const operationMethods = (path: string): HttpMethod[] => {
  const item = document.paths[path]
  if (!item) throw new Error(`${path} is not in the OpenAPI document`)
  return httpMethods.filter((method) => item[method] !== undefined)
}

/** One operation of the document and the names of the security schemes it accepts. */
export interface OperationSecurity {
  path: string
  method: HttpMethod
  /**
   * The alternatives of its `security` list, in order: each names the schemes of
   * `components.securitySchemes` (`api_key`, `pat_with_workspace`, …) that must all hold.
   */
  requirements: string[][]
}

/** The `security` list of every operation of the document. */
export const operationSecurities = (): OperationSecurity[] =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    httpMethods.flatMap((method) => {
      const operation = item[method]
      if (!operation) return []
      const requirements = (operation.security ?? []).map((requirement) => Object.keys(requirement))
      return [{ path, method, requirements }]
    }),
  )

/**
 * The request's parameters as one object schema. Every method of a Seam route takes
 * the same parameters: the JSON body of POST/PATCH/DELETE is the reference, and GET's
 * query parameters are used only when no method has a body.
 */
export const requestSchema = (path: string): JsonSchema => {
  const item = document.paths[path]
  if (!item) throw new Error(`${path} is not in the OpenAPI document`)
  for (const method of httpMethods) {
    const schema = item[method]?.requestBody?.content?.['application/json']?.schema
    if (schema) return schema
  }
  const parameters = (item.get?.parameters ?? []).filter((p) => p.in === 'query')
  return {
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
    required: parameters.filter((p) => p.required).map((p) => p.name),
  }
}

export const componentSchema = (name: string): JsonSchema => {
  const schema = document.components.schemas[name]
  if (!schema) throw new Error(`${name} is not a component schema of the OpenAPI document`)
  return schema
}

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const numericFormats = new Set(['float', 'double', 'int32', 'int64'])

/**
 * Converts an OpenAPI 3.0 schema to the JSON Schema Ajv validates: `nullable`, boolean
 * `exclusiveMinimum`, numeric formats and `$ref`s to components are rewritten; vendor
 * keys, descriptions and discriminators are dropped. Requests read `oneOf` as `anyOf`,
 * as Seam does: its alternatives (e.g. "by user" or "by system") overlap.
 */
export const toJsonSchema = (schema: JsonSchema, options: { request: boolean }): JsonSchema => {
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert)
    if (!isObject(node)) return node
    if (typeof node.$ref === 'string') {
      const name = node.$ref.replace('#/components/schemas/', '')
      return convert(componentSchema(name))
    }
    const out: JsonSchema = {}
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('x-')) continue
      if (
        ['description', 'discriminator', 'deprecated', 'example', 'title', 'nullable'].includes(key)
      )
        continue
      if (key === 'format' && typeof value === 'string' && numericFormats.has(value)) continue
      // Ids are stored in lowercase; a request's UUIDs are read in any case.
      if (key === 'format' && value === 'uuid' && options.request) out.lowercase = true
      if (key === 'properties' && isObject(value)) {
        out.properties = Object.fromEntries(
          Object.entries(value).map(([name, property]) => [name, convert(property)]),
        )
        continue
      }
      out[key === 'oneOf' && options.request ? 'anyOf' : key] = convert(value)
    }
    for (const bound of ['Minimum', 'Maximum'] as const) {
      const exclusive = out[`exclusive${bound}`]
      if (typeof exclusive === 'boolean') {
        const limit = bound.toLowerCase()
        if (exclusive) out[`exclusive${bound}`] = out[limit]
        else delete out[`exclusive${bound}`]
        if (exclusive) delete out[limit]
      }
    }
    if (node.nullable === true) {
      if (typeof out.type === 'string' && Object.keys(out).every((k) => k !== 'enum')) {
        out.type = [out.type, 'null']
        return out
      }
      return Object.keys(out).length === 0 ? {} : { anyOf: [{ type: 'null' }, out] }
    }
    return out
  }
  return convert(schema) as JsonSchema
}

/**
 * Every schema each property has across a request schema's `allOf`/`oneOf`/`anyOf`
 * alternatives (one alternative may allow values another does not).
 */
export const propertyAlternatives = (schema: JsonSchema): Map<string, JsonSchema[]> => {
  const found = new Map<string, JsonSchema[]>()
  const visit = (node: unknown): void => {
    if (!isObject(node)) return
    if (isObject(node.properties)) {
      for (const [name, property] of Object.entries(node.properties)) {
        if (!isObject(property)) continue
        const list = found.get(name) ?? []
        if (!list.some((known) => JSON.stringify(known) === JSON.stringify(property))) {
          list.push(property)
        }
        found.set(name, list)
      }
    }
    for (const key of ['allOf', 'oneOf', 'anyOf']) {
      const alternatives = node[key]
      if (Array.isArray(alternatives)) alternatives.forEach(visit)
    }
  }
  visit(schema)
  return found
}

/** Every property a request schema can take, with the first schema that declares it. */
export const propertySchemas = (schema: JsonSchema): Map<string, JsonSchema> =>
  new Map(
    [...propertyAlternatives(schema)].flatMap(([name, [first]]) => (first ? [[name, first]] : [])),
  )

const stripLinks = (text: string): string => text.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')

const eventDescriptions = new Map<string, string>()
for (const variant of (componentSchema('event').oneOf ?? []) as JsonSchema[]) {
  const properties = variant.properties as Record<string, { enum?: string[] }> | undefined
  const type = properties?.event_type?.enum?.[0]
  if (type && typeof variant.description === 'string') {
    eventDescriptions.set(type, stripLinks(variant.description))
  }
}

/** Every event type the document defines. */
export const eventTypes: ReadonlySet<string> = new Set(eventDescriptions.keys())

/** The document's one-line description of an event type, without markdown links. */
export const eventDescription = (eventType: string): string =>
  eventDescriptions.get(eventType) ?? eventType

/**
 * The document as this server serves it (`GET /openapi.json`): only the paths it
 * serves, each operation's `security` cut to the schemes it accepts, those schemes
 * alone in `components.securitySchemes`, and `servers` left for the caller to fill.
 */
export const servedDocument = (
  paths: readonly string[],
  schemes: readonly string[],
  actionTypes: readonly string[],
): Record<string, unknown> => {
  const accepted = new Set(schemes)
  const servedPaths = Object.fromEntries(
    paths.flatMap((path) => {
      const item = document.paths[path]
      if (!item) return []
      const operations = Object.fromEntries(
        Object.entries(item).map(([method, operation]) => {
          const { security, ...rest } = operation as Operation
          const kept = (security ?? []).filter((requirement) =>
            Object.keys(requirement).every((scheme) => accepted.has(scheme)),
          )
          return [method, { ...rest, security: kept }]
        }),
      )
      return [[path, operations]]
    }),
  )
  const securitySchemes = Object.fromEntries(
    Object.entries(document.components.securitySchemes ?? {}).filter(([name]) =>
      accepted.has(name),
    ),
  )
  // Only the schemas the served paths refer to (transitively): a resource none of whose
  // endpoints is served would name a route the document no longer has, which tools
  // that build clients from it (the Seam CLI's blueprint) refuse.
  // Likewise the events and action attempts of resources and actions it has none of.
  const servedRoutes = new Set(paths.map((path) => path.slice(0, path.lastIndexOf('/'))))
  const served = new Set(actionTypes)
  const allSchemas = document.components.schemas ?? {}
  // A `oneOf` alternative that names a route (`x-route-path`: an event type) or an
  // action type this server does not serve is dropped, in whichever schema it is.
  const isServed = (variant: Variant): boolean => {
    const route = variant['x-route-path']
    const actionType = variant.properties?.action_type?.enum?.[0]
    return (
      (route === undefined || servedRoutes.has(route)) &&
      (actionType === undefined || served.has(actionType))
    )
  }
  const schemas = Object.fromEntries(
    [...referencedSchemas(servedPaths, allSchemas)].sort().map((name) => {
      const schema = allSchemas[name] as JsonSchema & { oneOf?: Variant[] }
      return [name, schema.oneOf ? { ...schema, oneOf: schema.oneOf.filter(isServed) } : schema]
    }),
  )
  return {
    ...document,
    paths: servedPaths,
    components: { ...document.components, schemas, securitySchemes },
  }
}

/** One alternative of a `oneOf` resource schema (an event type, an action type). */
type Variant = {
  'x-route-path'?: string
  properties?: { action_type?: { enum?: string[] } }
}

const schemaRef = '#/components/schemas/'

/** Names of the schemas `root` refers to, and those they refer to, and so on. */
const referencedSchemas = (root: unknown, schemas: Record<string, unknown>): Set<string> => {
  const found = new Set<string>()
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
      return
    }
    if (typeof value !== 'object' || value === null) return
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(schemaRef)) {
        const name = child.slice(schemaRef.length)
        if (!found.has(name)) {
          found.add(name)
          visit(schemas[name])
        }
      } else {
        visit(child)
      }
    }
  }
  visit(root)
  return found
}
