import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { API_KEY, startTestApp, type TestApp } from '../support/test-app.js';

const EXAMPLE = 'dist/src/examples/checkout.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run example:checkout`: the built example, spawned against the real service over HTTP (the service runs
 * in this process, so the child is spawned asynchronously), with its typed client and the test key.
 */
describe('npm run example:checkout (e2e)', () => {
  let t: TestApp;
  let url: string;

  const example = (env: Record<string, string>): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [EXAMPLE], { env: { ...process.env, WALLET_URL: url, WALLET_API_KEY: API_KEY, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const walletOf = async (ownerId: string) =>
    (await t.db.pool.query('SELECT id, tenant_id, balance::int, held::int FROM wallets WHERE owner_id = $1', [ownerId])).rows[0];
  const movements = async (walletId: string) =>
    (
      await t.db.pool.query(
        `SELECT t.type, t.amount::int, t.refunded_amount::int AS refunded FROM transactions t
          WHERE $1 IN (t.wallet_id, t.from_wallet_id, t.to_wallet_id) ORDER BY t.created_at, t.id`,
        [walletId],
      )
    ).rows;

  beforeAll(async () => {
    if (!existsSync(EXAMPLE)) throw new Error(`${EXAMPLE} is missing: run npm run build (npm test does)`);
    t = await startTestApp();
    url = await t.app.getUrl();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('plays the order flow, narrating each step, and leaves the balances the README shows', async () => {
    const run = await example({ CHECKOUT_RUN_ID: 'e2e1' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const steps = [...run.stdout.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1]);
    expect(steps).toEqual([
      'Open a wallet for the buyer and one for the seller',
      "Top up the buyer's wallet with €100.00",
      'Checkout: reserve €49.90 for order-e2e1 (a hold)',
      'Shipped: capture €39.90 to the seller',
      'Returned: refund €15.00 of the capture',
      "The buyer's statement",
    ]);
    // what is called and why, and what the balances show
    expect(run.stdout).toContain('POST /v1/wallets { ownerId: "buyer_e2e1", currency: "EUR" } → 201');
    expect(run.stdout).toMatch(/deposits \{ amount: 10000 \} again, same Idempotency-Key → 201, Idempotency-Replayed: true/);
    expect(run.stdout).toContain('The wallet was credited once: €100.00, not twice.');
    expect(run.stdout).toContain('buyer: balance €100.00, held €49.90, available €50.10');
    expect(run.stdout).toContain('buyer: balance €60.10, held €0.00, available €60.10');
    expect(run.stdout).toContain('seller: balance €39.90, held €0.00, available €39.90');
    expect(run.stdout).toContain('the capture now shows refundedAmount €15.00 of €39.90');
    expect(run.stdout).toContain('buyer: balance €75.10, held €0.00, available €75.10');
    expect(run.stdout).toContain('seller: balance €24.90, held €0.00, available €24.90');
    expect(run.stdout).toMatch(/deposit +€100\.00 +€100\.00 +Top-up by card/);
    expect(run.stdout).toMatch(/capture +-€39\.90 +€60\.10/);
    expect(run.stdout).toMatch(/refund +€15\.00 +€75\.10/);
    expect(run.stdout).toContain('opening €0.00, closing €75.10');

    const buyer = await walletOf('buyer_e2e1');
    const seller = await walletOf('seller_e2e1');
    expect(buyer).toMatchObject({ tenant_id: 'default', balance: 7_510, held: 0 });
    expect(seller).toMatchObject({ tenant_id: 'default', balance: 2_490, held: 0 });
    // the retried top-up moved money once
    expect(await movements(buyer.id)).toEqual([
      { type: 'deposit', amount: 10_000, refunded: 0 },
      { type: 'capture', amount: 3_990, refunded: 1_500 },
      { type: 'refund', amount: 1_500, refunded: 0 },
    ]);
    const holds = await t.db.pool.query('SELECT status, amount::int, captured_amount::int AS captured, reference FROM holds WHERE wallet_id = $1', [buyer.id]);
    expect(holds.rows).toEqual([{ status: 'captured', amount: 4_990, captured: 3_990, reference: 'seller_e2e1:order-e2e1' }]);
    // every POST carried an Idempotency-Key of its business event
    const keys = await t.db.pool.query(`SELECT key FROM idempotency_keys WHERE key LIKE 'checkout-e2e1-%' ORDER BY key`);
    expect(keys.rows.map((row) => row.key)).toEqual(
      ['buyer-wallet', 'capture', 'hold', 'refund-1', 'seller-wallet', 'topup-1'].map((event) => `checkout-e2e1-${event}`),
    );
  });

  it('run again with the same CHECKOUT_RUN_ID, every call is answered from its key and nothing moves twice', async () => {
    const run = await example({ CHECKOUT_RUN_ID: 'e2e1' });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ran before: every call is answered from its key');
    expect(run.stdout.match(/Idempotency-Replayed: true/g)?.length).toBe(7); // 2 wallets, 2 top-ups, hold, capture, refund
    expect(run.stdout).not.toContain('The wallet was credited once');
    const buyer = await walletOf('buyer_e2e1');
    expect(buyer).toMatchObject({ balance: 7_510, held: 0 });
    expect(await movements(buyer.id)).toHaveLength(3);
    expect(await walletOf('seller_e2e1')).toMatchObject({ balance: 2_490 });
  });

  it('exits 1 with the problem details when a step fails', async () => {
    const unauthorized = await example({ CHECKOUT_RUN_ID: 'e2e2', WALLET_API_KEY: 'not-a-valid-key-1' });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toContain('Step 1 failed: POST /v1/wallets { ownerId: "buyer_e2e2", currency: "EUR" } answered 401.');
    expect(JSON.parse(unauthorized.stderr.slice(unauthorized.stderr.indexOf('{\n')))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });

    // a read-only key gets as far as its first write
    const readOnly = await example({ CHECKOUT_RUN_ID: 'e2e3', WALLET_API_KEY: 'test-reader-key-1' });
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(/Step 1 failed: .* answered 403\./);
    expect(readOnly.stderr).toContain('"code": "FORBIDDEN"');
    expect(await walletOf('buyer_e2e3')).toBeUndefined();

    // nothing listens there
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const nobody = await example({ CHECKOUT_RUN_ID: 'e2e4', WALLET_URL: `http://127.0.0.1:${port}` });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('Step 1 failed: fetch failed (ECONNREFUSED).');
    expect(nobody.stderr).toContain(`Is the service running at http://127.0.0.1:${port}?`);
  });
});
