import type { RouteRequestBody, RouteResponse, Routes } from '@seamapi/types/connect'
import type { DomainContext, Principal, WorkspaceScope } from '../domain/context.js'

/** Any endpoint of the Seam Connect API, as `@seamapi/types` names them. */
export type RoutePath = keyof Routes

/** What a handler returns: the documented response without `ok`, which the server adds. */
export type ResponseBody<P extends RoutePath> = RouteResponse<P>

interface BaseRequest<P extends RoutePath> {
  /** Parameters from the JSON body or the query string, validated against the document. */
  input: RouteRequestBody<P>
  /** Who is calling: an API key, or a personal access token (see http/auth.ts). */
  principal: Principal
  ctx: DomainContext
  /** The request's public URL, for `next_page_url`. */
  url: URL
}

export interface RouteRequest<P extends RoutePath> extends BaseRequest<P> {
  /** The workspace the request acts in (the API key's, or the PAT's seam-workspace). */
  scope: WorkspaceScope
}

/** A request that may come without a workspace (a PAT without seam-workspace). */
export interface AccountRouteRequest<P extends RoutePath> extends BaseRequest<P> {}

export interface RouteDefinition<P extends RoutePath = RoutePath> {
  path: P
  /** 'optional': the handler also runs for a principal without a workspace. */
  workspace: 'required' | 'optional'
  handle(
    request: AccountRouteRequest<P> & { scope: WorkspaceScope | undefined },
  ): Promise<ResponseBody<P>>
}

/**
 * Declares a handler for one endpoint acting in a workspace. The path's request and
 * response types come from the contract, so a handler that returns the wrong shape
 * does not compile.
 */
export const route = <P extends RoutePath>(
  path: P,
  handle: (request: RouteRequest<P>) => Promise<ResponseBody<P>>,
): RouteDefinition => ({ path, workspace: 'required', handle }) as unknown as RouteDefinition

/**
 * Declares a handler for an endpoint that answers a principal with or without a
 * workspace (`/workspaces/create`, `/workspaces/list`).
 */
export const accountRoute = <P extends RoutePath>(
  path: P,
  handle: (request: AccountRouteRequest<P>) => Promise<ResponseBody<P>>,
): RouteDefinition => ({ path, workspace: 'optional', handle }) as unknown as RouteDefinition
