import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const REQUEST_TIMEOUT_MS = 15_000;

export interface SeedOptions {
  baseUrl: string;
  authorization: string;
  walletCount: number;
  /** Deposited into every wallet (minor units); large enough that no run can drain a wallet. */
  fundMinor: number;
  currency: string;
  concurrency: number;
  /** Makes owner ids unique per run, so a reused DATABASE_URL never answers 409 WALLET_ALREADY_EXISTS. */
  runId: string;
  signal: AbortSignal;
}

export interface SeededWallets {
  walletIds: string[];
  merchantId: string;
  seedMs: number;
}

async function post(options: SeedOptions, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${options.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      authorization: options.authorization,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.any([options.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`seeding: POST ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function createFundedWallet(options: SeedOptions, ownerId: string, fundMinor: number): Promise<string> {
  const wallet = await post(options, '/v1/wallets', { ownerId, currency: options.currency });
  const id = wallet.id;
  if (typeof id !== 'string') throw new Error(`seeding: POST /v1/wallets returned no id: ${JSON.stringify(wallet).slice(0, 300)}`);
  if (fundMinor > 0) {
    await post(options, `/v1/wallets/${id}/deposits`, { amount: fundMinor, reference: `bench-seed-${options.runId}` });
  }
  return id;
}

/** Creates `walletCount` funded wallets and one merchant wallet through the public API, a few at a time. */
export async function seedWallets(options: SeedOptions): Promise<SeededWallets> {
  const startedAt = performance.now();
  const walletIds: string[] = new Array<string>(options.walletCount);
  let next = 0;
  const worker = async () => {
    // Bounded: each worker takes indices until all walletCount are taken.
    while (next < options.walletCount) {
      const index = next++;
      walletIds[index] = await createFundedWallet(options, `bench-${options.runId}-user-${index}`, options.fundMinor);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.walletCount)) }, worker));
  const merchantId = await createFundedWallet(options, `bench-${options.runId}-merchant`, 0);
  return { walletIds, merchantId, seedMs: performance.now() - startedAt };
}
