import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

/**
 * A typed client for the wallet service: openapi-fetch over the types openapi-typescript generated from
 * docs/openapi.json (`npm run client:generate`). Every path, parameter, body and response is checked by the
 * compiler; errors come back as `error`, typed as the problem+json body.
 *
 *   const wallets = createWalletClient({ baseUrl: 'http://localhost:3000', apiKey: 'dev-secret-key' });
 *   const { data, error } = await wallets.POST('/v1/wallets', { body: { ownerId: 'user_1', currency: 'EUR' } });
 */
export type WalletClient = Client<paths>;

export interface WalletClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** Where the service listens, e.g. http://localhost:3000 (no /v1: the paths carry it). */
  baseUrl: string;
  /** An API key secret (API_KEYS); sent as `Authorization: Bearer <apiKey>` on every call. */
  apiKey: string;
  /** More headers for every call (e.g. X-Request-Id). */
  headers?: Record<string, string>;
}

export function createWalletClient({ baseUrl, apiKey, headers, ...options }: WalletClientOptions): WalletClient {
  return createClient<paths>({
    ...options,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { ...headers, Authorization: `Bearer ${apiKey}` },
  });
}

/**
 * A fresh Idempotency-Key (a random UUID). Keep it with the business event and send the same key when retrying,
 * so a repeat never moves money twice:
 *
 *   const key = newIdempotencyKey();
 *   await wallets.POST('/v1/wallets/{id}/deposits', { params: { path: { id }, header: idempotent(key) }, body: { amount: 2500 } });
 */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** The header parameter of a POST: `params: { header: idempotent(key) }`. Keys are 1–255 characters. */
export function idempotent(key: string): { 'Idempotency-Key': string } {
  if (key.length < 1 || key.length > 255) throw new RangeError('An Idempotency-Key has 1 to 255 characters');
  return { 'Idempotency-Key': key };
}

/**
 * GET /v1/wallets/{id}/statement as JSON, typed. The operation also answers text/csv (Accept: text/csv), a stream
 * the document gives no schema, so the plain client types its data as unknown; this asks for JSON and says so.
 */
export async function getStatement(
  client: WalletClient,
  walletId: string,
  query: operations['StatementsController_statement']['parameters']['query'] = {},
): Promise<{ data?: Statement; error?: Problem; response: Response }> {
  const { data, error, response } = await client.GET('/v1/wallets/{id}/statement', {
    params: { path: { id: walletId }, query },
    headers: { Accept: 'application/json' },
  });
  return { data: data as Statement | undefined, error, response };
}

/** The shapes of the API, by their schema names. */
export type Schemas = components['schemas'];
export type Wallet = Schemas['WalletDto'];
export type Transaction = Schemas['TransactionDto'];
export type Hold = Schemas['HoldDto'];
export type Statement = Schemas['StatementDto'];
/** RFC 9457 problem details: the body of every error response, with its stable `code`. */
export type Problem = Schemas['ProblemDto'];
export type { components, operations, paths };
