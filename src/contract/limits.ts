import type { JsonSchema } from './openapi.js'

/**
 * What one request may carry. Every limit keeps the cost of a request (CPU, memory,
 * rows touched, size of the answer) bounded whatever it sends; none is reached by
 * Seam's guides, the seeds or the SDK's normal use. The README lists them.
 */
export const requestLimits = {
  /** Bytes of a JSON body. */
  bodyBytes: 1024 * 1024,
  /** Bytes of the request line (URL) and headers together. */
  urlAndHeadersBytes: 1024 * 1024,
  /** Objects and arrays inside one another, the parameters object included. */
  nestingDepth: 32,
  /**
   * Items of any array parameter (ids per filter, entrances of a space, …). Filters
   * of 10,000 ids are served (and tested): a list of ids is one query parameter.
   */
  arrayItems: 20_000,
  /** Characters of a string parameter the document does not bound itself. */
  stringLength: 1_000,
  /** Characters of a URL parameter (webhook `url`). */
  urlLength: 2_048,
  /** Items of `requested_access_methods`: one per mode is all that is ever served. */
  requestedAccessMethods: 10,
} as const

/** How much of a refusal is reported (the rest is counted, not listed). */
export const errorReportLimits = {
  /** Parameters named in `validation_errors`. */
  parameters: 20,
  /** Messages per parameter. */
  messagesPerParameter: 5,
  /** Enum values listed in a message; longer lists are summarised. */
  enumValues: 10,
  /** Characters of a parameter name echoed back. */
  parameterName: 100,
} as const

const itemLimits: Record<string, number> = {
  requested_access_methods: requestLimits.requestedAccessMethods,
}

const typesOf = (node: JsonSchema): string[] =>
  Array.isArray(node.type)
    ? node.type.map(String)
    : typeof node.type === 'string'
      ? [node.type]
      : []

/**
 * The request schema with the limits above wherever the document leaves an array or
 * a string unbounded (a bound the document sets itself is kept when it is tighter).
 */
export const withRequestLimits = (schema: JsonSchema): JsonSchema => {
  const visit = (node: unknown, name: string): unknown => {
    if (Array.isArray(node)) return node.map((item) => visit(item, name))
    if (typeof node !== 'object' || node === null) return node
    const out: JsonSchema = {}
    for (const [key, value] of Object.entries(node as JsonSchema)) {
      if (key === 'properties' && typeof value === 'object' && value !== null) {
        out.properties = Object.fromEntries(
          Object.entries(value as JsonSchema).map(([child, s]) => [child, visit(s, child)]),
        )
      } else if (key === 'enum' || key === 'const' || key === 'default') {
        out[key] = value
      } else {
        out[key] = visit(value, key === 'additionalProperties' ? '' : name)
      }
    }
    const types = typesOf(out)
    if (types.includes('array')) {
      const limit = itemLimits[name] ?? requestLimits.arrayItems
      out.maxItems = Math.min(Number(out.maxItems ?? limit), limit)
    }
    if (types.includes('string') && out.enum === undefined) {
      const limit = out.format === 'uri' ? requestLimits.urlLength : requestLimits.stringLength
      out.maxLength = Math.min(Number(out.maxLength ?? limit), limit)
    }
    return out
  }
  return visit(schema, '') as JsonSchema
}

/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found by one
 * pass over the text before it is parsed, so a body of 20,000 brackets costs a scan
 * rather than a parse and a stack overflow later.
 */
export const nestsDeeperThan = (text: string, maxDepth: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

export interface OversizedValue {
  /** The top-level parameter that holds it (`_errors` for the parameters object). */
  parameter: string
  message: string
}

/**
 * A cheap pass over a decoded request before schema validation: the first array or
 * string far over any limit, or nesting past the limit (a query string nests with
 * dotted keys). Validation then reports the exact bound of each parameter; this pass
 * keeps it from walking, and reporting on, a 100,000-item array first.
 */
export const oversizedValue = (value: unknown): OversizedValue | undefined => {
  const pending: [unknown, string, number][] = [[value, '_errors', 1]]
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [current, parameter, depth] = item
    if (typeof current === 'string') {
      if (current.length > requestLimits.urlLength) {
        return {
          parameter,
          message: `is ${current.length} characters long; at most ${requestLimits.stringLength} are accepted (${requestLimits.urlLength} for a URL)`,
        }
      }
      continue
    }
    if (typeof current !== 'object' || current === null) continue
    if (depth > requestLimits.nestingDepth) {
      return {
        parameter,
        message: `nests objects or arrays more than ${requestLimits.nestingDepth} levels deep`,
      }
    }
    if (Array.isArray(current) && current.length > requestLimits.arrayItems) {
      return {
        parameter,
        message: `has ${current.length} items; at most ${requestLimits.arrayItems} are accepted`,
      }
    }
    const top = current === value && !Array.isArray(current)
    for (const [key, child] of Object.entries(current)) {
      pending.push([child, top ? key : parameter, depth + 1])
    }
  }
  return undefined
}
