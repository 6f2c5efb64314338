export interface ApiKey {
  name: string;
  secret: string;
}

/** Used only outside production when API_KEYS is unset, so the quick start works; documented in the README. */
export const DEVELOPMENT_API_KEYS = 'dev:dev-secret-key';

export function parseApiKeys(raw: string): ApiKey[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const separator = entry.indexOf(':');
      return { name: entry.slice(0, separator), secret: entry.slice(separator + 1) };
    });
}
