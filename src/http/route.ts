import type { RouteRequestBody, RouteResponse, Routes } from '@seamapi/types/connect'
import type { DomainContext, WorkspaceScope } from '../domain/context.js'

/** Any endpoint of the Seam Connect API, as `@seamapi/types` names them. */
export type RoutePath = keyof Routes

/** What a handler returns: the documented response without `ok`, which the server adds. */
export type ResponseBody<P extends RoutePath> = RouteResponse<P>

export interface RouteRequest<P extends RoutePath> {
  /** Parameters from the JSON body or the query string, validated against the document. */
  input: RouteRequestBody<P>
  /** The workspace the API key opens. */
  scope: WorkspaceScope
  ctx: DomainContext
  /** The request's public URL, for `next_page_url`. */
  url: URL
}

export interface RouteDefinition<P extends RoutePath = RoutePath> {
  path: P
  handle(request: RouteRequest<P>): Promise<ResponseBody<P>>
}

/**
 * Declares a handler for one endpoint. The path's request and response types come
 * from the contract, so a handler that returns the wrong shape does not compile.
 */
export const route = <P extends RoutePath>(
  path: P,
  handle: (request: RouteRequest<P>) => Promise<ResponseBody<P>>,
): RouteDefinition => ({ path, handle }) as unknown as RouteDefinition
