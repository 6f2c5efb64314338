/** The route label of a request that no route matched, or that was answered before routing (a body the parser refused). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route pattern Express matched (`/v1/wallets/:id`), never the raw URL: ids and query strings would make
 * every request its own metric series and put caller data in the access log. Read when the response is finished,
 * by which time routing has run.
 */
export function routePattern(request: { route?: { path?: unknown } }): string {
  const path = request.route?.path;
  // Nest mounts middleware as a catch-all route (`{/*splat}`), which stays on the request when no handler
  // matched; the service itself has no wildcard routes.
  return typeof path === 'string' && !path.includes('*') ? path : UNMATCHED_ROUTE;
}
