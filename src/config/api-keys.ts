/** What an API key may do; the api_keys table's CHECK names the same three. */
export const SCOPES = ['wallets:read', 'wallets:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** An API key from the environment: who it is, whose data it sees, and what it may do. */
export interface ApiKey {
  name: string;
  secret: string;
  tenantId: string;
  scopes: Scope[];
}

/** The tenant of the single-tenant shorthand `name:secret`. */
export const DEFAULT_TENANT = 'default';

/** Used only outside production when API_KEYS is unset, so the quick start works; documented in the README. */
export const DEVELOPMENT_API_KEYS = 'dev:dev-secret-key';

/**
 * `API_KEYS` is a comma-separated list of `name:secret` (tenant `default`, every scope — the
 * single-tenant shorthand) or `name:secret:tenant:scope|scope…`, e.g.
 * `shop-a:3b1f…:acme:wallets:read|wallets:write`. The format is validated at boot (src/config/environment.ts).
 */
export function parseApiKeys(raw: string): ApiKey[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [name, secret, tenantId, ...scopeParts] = entry.split(':');
      if (tenantId === undefined) return { name, secret, tenantId: DEFAULT_TENANT, scopes: [...SCOPES] };
      return { name, secret, tenantId, scopes: scopeParts.join(':').split('|') as Scope[] };
    });
}
