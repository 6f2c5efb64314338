import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Response } from 'supertest';
import { expectProblem } from '../support/expect-problem.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { ACME_AUTH, AUTH, fundedWallet, READER_AUTH, startTestApp, TestApp, WRITER_AUTH } from '../support/test-app.js';

const run = promisify(execFile);
const APIKEY_CLI = 'dist/src/cli/apikey.js';

/**
 * Tenants and scopes over HTTP. The test keys: AUTH (tenant "default", every scope), READER_AUTH and
 * WRITER_AUTH (default, one scope each), ACME_AUTH (tenant "acme", every scope). Another tenant's ids
 * must answer exactly as unknown ids do — same status, same code — and nothing may move.
 */
describe('tenants and scopes (e2e)', () => {
  let t: TestApp;
  let wallet: string;
  let other: string;
  let hold: string;
  let deposit: string;
  let acmeWallet: string;
  let acmeHold: string;
  let usdWallet: string;
  let quote: string;
  let acmeUsd: string;
  let acmeQuote: string;
  const unknown = randomUUID();

  beforeAll(async () => {
    // API_KEY_CACHE_TTL_MS=0: a revoked stored key stops working at once, so the test needs no waiting.
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0', API_KEY_CACHE_TTL_MS: '0' });
    wallet = await fundedWallet(t.http, 'tenant-user', 1_000);
    other = await fundedWallet(t.http, 'tenant-user-2', 0);
    hold = (await t.http.post('/v1/holds').set(AUTH).send({ walletId: wallet, amount: 100 }).expect(201)).body.id;
    deposit = (await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 50 }).expect(201)).body.id;
    acmeWallet = (await t.http.post('/v1/wallets').set(ACME_AUTH).send({ ownerId: 'acme-user', currency: 'EUR' }).expect(201)).body.id;
    await t.http.post(`/v1/wallets/${acmeWallet}/deposits`).set(ACME_AUTH).send({ amount: 500 }).expect(201);
    acmeHold = (await t.http.post('/v1/holds').set(ACME_AUTH).send({ walletId: acmeWallet, amount: 10 }).expect(201)).body.id;
    // FX: each tenant sets its own EUR→USD rate and makes a quote
    for (const auth of [AUTH, ACME_AUTH]) await t.http.put('/v1/admin/fx-rates/EUR/USD').set(auth).send({ rate: '1.1' }).expect(200);
    usdWallet = await fundedWallet(t.http, 'tenant-user-usd', 0, 'USD');
    acmeUsd = (await t.http.post('/v1/wallets').set(ACME_AUTH).send({ ownerId: 'acme-user', currency: 'USD' }).expect(201)).body.id;
    const newQuote = async (auth: Record<string, string>) =>
      (await t.http.post('/v1/fx-quotes').set(auth).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 10, expiresInSeconds: 600 }).expect(201)).body.id;
    quote = await newQuote(AUTH);
    acmeQuote = await newQuote(ACME_AUTH);
  });
  afterAll(() => t.close());

  const balances = async () => {
    const { rows } = await t.db.pool.query('SELECT id, balance::text, held::text FROM wallets ORDER BY id');
    return rows;
  };

  /** [what, the call as another tenant, the same call with an unknown id]. */
  const crossTenant: [string, () => Promise<Response>, () => Promise<Response>][] = [
    ['GET wallet', () => t.http.get(`/v1/wallets/${wallet}`).set(ACME_AUTH), () => t.http.get(`/v1/wallets/${unknown}`).set(ACME_AUTH)],
    ['PATCH wallet', () => t.http.patch(`/v1/wallets/${wallet}`).set(ACME_AUTH).send({ status: 'frozen' }), () => t.http.patch(`/v1/wallets/${unknown}`).set(ACME_AUTH).send({ status: 'frozen' })],
    ['deposit', () => t.http.post(`/v1/wallets/${wallet}/deposits`).set(ACME_AUTH).send({ amount: 1 }), () => t.http.post(`/v1/wallets/${unknown}/deposits`).set(ACME_AUTH).send({ amount: 1 })],
    ['withdrawal', () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(ACME_AUTH).send({ amount: 1 }), () => t.http.post(`/v1/wallets/${unknown}/withdrawals`).set(ACME_AUTH).send({ amount: 1 })],
    ['transfer from it', () => t.http.post('/v1/transfers').set(ACME_AUTH).send({ fromWalletId: wallet, toWalletId: acmeWallet, amount: 1 }), () => t.http.post('/v1/transfers').set(ACME_AUTH).send({ fromWalletId: unknown, toWalletId: acmeWallet, amount: 1 })],
    ['transfer to it', () => t.http.post('/v1/transfers').set(ACME_AUTH).send({ fromWalletId: acmeWallet, toWalletId: wallet, amount: 1 }), () => t.http.post('/v1/transfers').set(ACME_AUTH).send({ fromWalletId: acmeWallet, toWalletId: unknown, amount: 1 })],
    ['history', () => t.http.get(`/v1/wallets/${wallet}/transactions`).set(ACME_AUTH), () => t.http.get(`/v1/wallets/${unknown}/transactions`).set(ACME_AUTH)],
    ['GET transaction', () => t.http.get(`/v1/transactions/${deposit}`).set(ACME_AUTH), () => t.http.get(`/v1/transactions/${unknown}`).set(ACME_AUTH)],
    ['refund', () => t.http.post(`/v1/transactions/${deposit}/refunds`).set(ACME_AUTH).send({ amount: 1 }), () => t.http.post(`/v1/transactions/${unknown}/refunds`).set(ACME_AUTH).send({ amount: 1 })],
    ['place a hold', () => t.http.post('/v1/holds').set(ACME_AUTH).send({ walletId: wallet, amount: 1 }), () => t.http.post('/v1/holds').set(ACME_AUTH).send({ walletId: unknown, amount: 1 })],
    ['GET hold', () => t.http.get(`/v1/holds/${hold}`).set(ACME_AUTH), () => t.http.get(`/v1/holds/${unknown}`).set(ACME_AUTH)],
    ["a wallet's holds", () => t.http.get(`/v1/wallets/${wallet}/holds`).set(ACME_AUTH), () => t.http.get(`/v1/wallets/${unknown}/holds`).set(ACME_AUTH)],
    ['capture', () => t.http.post(`/v1/holds/${hold}/capture`).set(ACME_AUTH).send({}), () => t.http.post(`/v1/holds/${unknown}/capture`).set(ACME_AUTH).send({})],
    ['capture to it', () => t.http.post(`/v1/holds/${acmeHold}/capture`).set(ACME_AUTH).send({ toWalletId: wallet }), () => t.http.post(`/v1/holds/${acmeHold}/capture`).set(ACME_AUTH).send({ toWalletId: unknown })],
    ['void', () => t.http.post(`/v1/holds/${hold}/void`).set(ACME_AUTH), () => t.http.post(`/v1/holds/${unknown}/void`).set(ACME_AUTH)],
    ['batch', () => t.http.post('/v1/batches').set(ACME_AUTH).send({ operations: [{ type: 'withdrawal', walletId: wallet, amount: 1 }] }), () => t.http.post('/v1/batches').set(ACME_AUTH).send({ operations: [{ type: 'withdrawal', walletId: unknown, amount: 1 }] })],
    ['batch capture', () => t.http.post('/v1/batches').set(ACME_AUTH).send({ operations: [{ type: 'capture', holdId: hold }] }), () => t.http.post('/v1/batches').set(ACME_AUTH).send({ operations: [{ type: 'capture', holdId: unknown }] })],
    ['statement', () => t.http.get(`/v1/wallets/${wallet}/statement`).set(ACME_AUTH), () => t.http.get(`/v1/wallets/${unknown}/statement`).set(ACME_AUTH)],
    ['statement CSV', () => t.http.get(`/v1/wallets/${wallet}/statement`).set(ACME_AUTH).set('Accept', 'text/csv'), () => t.http.get(`/v1/wallets/${unknown}/statement`).set(ACME_AUTH).set('Accept', 'text/csv')],
    ['balance at', () => t.http.get(`/v1/wallets/${wallet}/balance`).set(ACME_AUTH), () => t.http.get(`/v1/wallets/${unknown}/balance`).set(ACME_AUTH)],
    ['GET wallet in another currency', () => t.http.get(`/v1/wallets/${wallet}?displayCurrency=USD`).set(ACME_AUTH), () => t.http.get(`/v1/wallets/${unknown}?displayCurrency=USD`).set(ACME_AUTH)],
    ['GET fx quote', () => t.http.get(`/v1/fx-quotes/${quote}`).set(ACME_AUTH), () => t.http.get(`/v1/fx-quotes/${unknown}`).set(ACME_AUTH)],
    ['conversion with its quote', () => t.http.post('/v1/conversions').set(ACME_AUTH).send({ quoteId: quote, fromWalletId: acmeWallet, toWalletId: acmeUsd }), () => t.http.post('/v1/conversions').set(ACME_AUTH).send({ quoteId: unknown, fromWalletId: acmeWallet, toWalletId: acmeUsd })],
    ['conversion from it', () => t.http.post('/v1/conversions').set(ACME_AUTH).send({ quoteId: acmeQuote, fromWalletId: wallet, toWalletId: acmeUsd }), () => t.http.post('/v1/conversions').set(ACME_AUTH).send({ quoteId: acmeQuote, fromWalletId: unknown, toWalletId: acmeUsd })],
    ['conversion to it', () => t.http.post('/v1/conversions').set(ACME_AUTH).send({ quoteId: acmeQuote, fromWalletId: acmeWallet, toWalletId: usdWallet }), () => t.http.post('/v1/conversions').set(ACME_AUTH).send({ quoteId: acmeQuote, fromWalletId: acmeWallet, toWalletId: unknown })],
  ];

  it.each(crossTenant)("%s with another tenant's id answers exactly as an unknown id, and moves nothing", async (_what, asOtherTenant, asUnknown) => {
    const before = await balances();
    const theirs = await asOtherTenant();
    const none = await asUnknown();
    expect(theirs.status).toBe(404);
    expectProblem(theirs, none.status, none.body.code);
    expect(theirs.body.detail.replace(wallet, '<id>').replace(hold, '<id>').replace(deposit, '<id>').replace(quote, '<id>').replace(usdWallet, '<id>')).toBe(
      none.body.detail.replace(unknown, '<id>'),
    );
    expect(await balances()).toEqual(before);
  });

  it("lists only the caller's wallets, and the same owner may have a wallet of the same currency in each tenant", async () => {
    await t.http.post('/v1/wallets').set(ACME_AUTH).send({ ownerId: 'tenant-user', currency: 'EUR' }).expect(201);
    const mine = (await t.http.get('/v1/wallets').query({ ownerId: 'tenant-user' }).set(AUTH).expect(200)).body.data;
    const theirs = (await t.http.get('/v1/wallets').query({ ownerId: 'tenant-user' }).set(ACME_AUTH).expect(200)).body.data;
    expect(mine.map((w: { id: string }) => w.id)).toEqual([wallet]);
    expect(theirs).toHaveLength(1);
    expect(theirs[0].id).not.toBe(wallet);
  });

  it('keeps Idempotency-Keys apart per tenant: the same key in two tenants is two requests', async () => {
    const mine = await t.http.post(`/v1/wallets/${other}/deposits`).set(AUTH).set('Idempotency-Key', 'shared-key').send({ amount: 7 }).expect(201);
    const theirs = await t.http.post(`/v1/wallets/${acmeWallet}/deposits`).set(ACME_AUTH).set('Idempotency-Key', 'shared-key').send({ amount: 7 }).expect(201);
    expect(theirs.headers['idempotency-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it("exchange rates are the tenant's own: another tenant's rate of a pair neither shows nor quotes", async () => {
    await t.http.put('/v1/admin/fx-rates/USD/EUR').set(ACME_AUTH).send({ rate: '0.9' }).expect(200);
    const mine = (await t.http.get('/v1/admin/fx-rates').set(AUTH).expect(200)).body.data;
    expect(mine.map((r: { fromCurrency: string; toCurrency: string }) => `${r.fromCurrency}/${r.toCurrency}`)).toEqual(['EUR/USD']);
    expectProblem(await t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: 10 }), 422, 'RATE_UNAVAILABLE');
    expectProblem(await t.http.get(`/v1/wallets/${usdWallet}?displayCurrency=EUR`).set(AUTH), 422, 'RATE_UNAVAILABLE');
  });

  it("the monthly report counts only the caller's transactions", async () => {
    const now = new Date();
    const query = { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, currency: 'EUR' };
    const report = (await t.http.get('/v1/reports/monthly').query(query).set(ACME_AUTH).expect(200)).text;
    const depositRow = report.split('\n').find((line) => line.startsWith('month,') && line.includes(',deposit,'));
    const { rows } = await t.db.pool.query(
      `SELECT count(*)::int AS count, sum(amount)::text AS amount FROM transactions WHERE tenant_id = 'acme' AND type = 'deposit'`,
    );
    expect(depositRow?.split(',').slice(4, 6)).toEqual([String(rows[0].count), rows[0].amount]);
  });

  describe('scopes', () => {
    it('a wallets:read key reads and may not write: 403 FORBIDDEN, nothing created', async () => {
      await t.http.get(`/v1/wallets/${wallet}`).set(READER_AUTH).expect(200);
      expectProblem(await t.http.post('/v1/wallets').set(READER_AUTH).send({ ownerId: 'reader-made', currency: 'EUR' }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(READER_AUTH).send({ amount: 1 }), 403, 'FORBIDDEN');
      expect((await t.db.pool.query(`SELECT 1 FROM wallets WHERE owner_id = 'reader-made'`)).rowCount).toBe(0);
    });

    it('a wallets:write key writes and may not read', async () => {
      await t.http.post(`/v1/wallets/${other}/deposits`).set(WRITER_AUTH).send({ amount: 1 }).expect(201);
      expectProblem(await t.http.get(`/v1/wallets/${other}`).set(WRITER_AUTH), 403, 'FORBIDDEN');
    });

    it('the admin endpoints need the admin scope', async () => {
      for (const auth of [READER_AUTH, WRITER_AUTH]) {
        expectProblem(await t.http.put('/v1/admin/fx-rates/EUR/USD').set(auth).send({ rate: '2' }), 403, 'FORBIDDEN');
        expectProblem(await t.http.get('/v1/admin/fx-rates').set(auth), 403, 'FORBIDDEN');
      }
      expect((await t.http.get('/v1/admin/fx-rates').set(AUTH).expect(200)).body.data).toEqual([expect.objectContaining({ rate: '1.1' })]);
      expectProblem(await t.http.get('/v1/admin/ledger/verify').set(READER_AUTH), 403, 'FORBIDDEN');
      expectProblem(await t.http.get('/v1/admin/ledger/verify').set(WRITER_AUTH), 403, 'FORBIDDEN');
      expect((await t.http.get('/v1/admin/ledger/verify').set(AUTH).expect(200)).body.ok).toBe(true);
    });

    it('a wrong key is 401, not 403', async () => {
      expectProblem(await t.http.get(`/v1/wallets/${wallet}`).set('Authorization', 'Bearer not-a-key-at-all'), 401, 'UNAUTHORIZED');
    });
  });

  describe('keys stored in the database (npm run apikey)', () => {
    const cli = (...args: string[]) => run('node', [APIKEY_CLI, ...args], { env: { ...process.env, DATABASE_URL: t.db.url, NODE_ENV: 'test' } });

    beforeAll(() => {
      if (!existsSync(APIKEY_CLI)) throw new Error(`${APIKEY_CLI} is missing: run npm run build (npm test does)`);
    });

    it('create prints a secret once; the key works for its tenant and scopes only; list shows it; revoke stops it', async () => {
      const created = await cli('create', '--tenant', 'beta', '--name', 'beta-shop', '--scopes', 'wallets:read,wallets:write');
      const secret = /secret \(shown once, store it now\): (wk_\S+)/.exec(created.stdout)?.[1];
      expect(secret).toBeDefined();
      const beta = { Authorization: `Bearer ${secret}` };
      // only a digest is stored
      const stored = await t.db.pool.query(`SELECT encode(secret_sha256, 'hex') AS digest FROM api_keys WHERE name = 'beta-shop'`);
      expect(stored.rows[0].digest).toHaveLength(64);
      expect(JSON.stringify(stored.rows)).not.toContain(secret);

      const betaWallet = (await t.http.post('/v1/wallets').set(beta).send({ ownerId: 'beta-user', currency: 'EUR' }).expect(201)).body.id;
      expect((await t.db.pool.query('SELECT tenant_id FROM wallets WHERE id = $1', [betaWallet])).rows[0].tenant_id).toBe('beta');
      expectProblem(await t.http.get(`/v1/wallets/${wallet}`).set(beta), 404, 'WALLET_NOT_FOUND');
      expectProblem(await t.http.get(`/v1/wallets/${betaWallet}`).set(AUTH), 404, 'WALLET_NOT_FOUND');
      expectProblem(await t.http.get('/v1/admin/ledger/verify').set(beta), 403, 'FORBIDDEN');

      expect((await cli('list', '--tenant', 'beta')).stdout).toMatch(/beta\/beta-shop {2}wallets:read,wallets:write .* active/);

      expect((await cli('revoke', '--tenant', 'beta', '--name', 'beta-shop')).stdout).toContain('revoked');
      expectProblem(await t.http.get(`/v1/wallets/${betaWallet}`).set(beta), 401, 'UNAUTHORIZED');
      expect((await cli('list')).stdout).toMatch(/beta\/beta-shop .* revoked /);
      await expect(cli('revoke', '--tenant', 'beta', '--name', 'beta-shop')).rejects.toMatchObject({ code: 1 });
    });

    it('refuses bad input with the usage text and exit 2', async () => {
      await expect(cli('create', '--tenant', 'beta', '--name', 'x', '--scopes', 'everything')).rejects.toMatchObject({ code: 2 });
      await expect(cli('create', '--tenant', 'not a tenant', '--name', 'x')).rejects.toMatchObject({ code: 2 });
      await expect(cli('frobnicate')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
    });
  });

  it('the books balance in every tenant', async () => {
    await expectLedgerInvariants(t.db.pool);
    const { rows } = await t.db.pool.query(
      `SELECT tenant_id, currency FROM entries GROUP BY tenant_id, currency HAVING sum(amount) <> 0`,
    );
    expect(rows).toEqual([]);
  });
});
