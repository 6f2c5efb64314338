import type { INestApplication } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import request from 'supertest';
import { createHttpApp } from '../../src/http-app.js';
import { buildDemoPlan } from '../../src/seed/demo-plan.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const SEED_CLI = 'dist/src/cli/seed.js';
const VERIFY_CLI = 'dist/src/cli/verify-ledger.js';
const DAY_MS = 86_400_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The production build of a CLI, spawned (asynchronously) on the test database. */
function runCli(script: string, args: string[], databaseUrl: string): Promise<Run> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - startedAt }));
  });
}

/**
 * `npm run seed` (the built CLI) on a fresh database: a month of demo history for three tenants, posted through
 * the ledger's SQL functions, that the ledger self-check finds consistent, and that the API shows per tenant.
 */
describe('npm run seed (e2e)', () => {
  let db: TestDatabase;
  let first: Run;
  const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await db.pool.query(sql, params)).rows as T[];

  beforeAll(async () => {
    for (const script of [SEED_CLI, VERIFY_CLI]) {
      if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build (npm test does)`);
    }
    db = await createTestDatabase();
    first = await runCli(SEED_CLI, ['--seed', '3'], db.url);
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('seeds in seconds and prints a summary with keys and how to look at it', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.ms).toBeLessThan(30_000);
    expect(first.stdout).toMatch(/Demo data \(seed 3\): 3 tenants, 39 wallets, [\d,]+ transactions \([\d,]+ entries\), [\d,]+ holds/);
    for (const tenant of ['default', 'acme', 'globex']) expect(first.stdout).toMatch(new RegExp(`^  ${tenant} +\\d+ \\(`, 'm'));
    expect(first.stdout).toContain("curl -s 'localhost:3000/v1/wallets?ownerId=buyer_ivy'");
    expect(first.stdout).toContain('/statement');
    expect(first.stdout).toContain('/balance?at=');
    expect(first.stdout).toContain('/v1/reports/monthly?');
    expect(first.stdout).toContain('http://localhost:3000/docs');
  });

  it('creates the tenants, buyers and sellers in their currencies', async () => {
    const wallets = await query<{ tenant_id: string; role: string; currency: string; count: number }>(
      `SELECT tenant_id, metadata->>'role' AS role, currency, count(*)::int AS count FROM wallets GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    expect(wallets).toEqual([
      { tenant_id: 'acme', role: 'buyer', currency: 'EUR', count: 10 },
      { tenant_id: 'acme', role: 'buyer', currency: 'USD', count: 4 },
      { tenant_id: 'acme', role: 'seller', currency: 'EUR', count: 3 },
      { tenant_id: 'acme', role: 'seller', currency: 'USD', count: 3 },
      { tenant_id: 'default', role: 'buyer', currency: 'EUR', count: 8 },
      { tenant_id: 'default', role: 'seller', currency: 'EUR', count: 3 },
      { tenant_id: 'globex', role: 'buyer', currency: 'GBP', count: 6 },
      { tenant_id: 'globex', role: 'seller', currency: 'GBP', count: 2 },
    ]);
    // every kind of movement, in every tenant
    const types = await query<{ tenant_id: string; types: string[]; count: number }>(
      `SELECT tenant_id, array_agg(DISTINCT type ORDER BY type) AS types, count(*)::int AS count FROM transactions GROUP BY 1 ORDER BY 1`,
    );
    for (const row of types) {
      expect(row.types).toEqual(['capture', 'deposit', 'refund', 'transfer', 'withdrawal']);
      expect(row.count).toBeGreaterThan(200);
    }
    const [totals] = await query<{ transactions: number; holds: number }>(
      'SELECT (SELECT count(*)::int FROM transactions) AS transactions, (SELECT count(*)::int FROM holds) AS holds',
    );
    expect(totals.transactions).toBeGreaterThan(900);
    expect(totals.holds).toBeGreaterThan(700);
    expect(first.stdout).toContain(`${totals.transactions.toLocaleString('en-US')} transactions`);
  });

  it('has the order flow in it: partial captures to sellers and to revenue, voided and expired holds, partial refunds', async () => {
    const [holds] = await query<Record<string, number>>(
      `SELECT count(*) FILTER (WHERE status = 'captured' AND captured_amount < amount)::int AS partial_captures,
              count(*) FILTER (WHERE status = 'captured')::int AS captured,
              count(*) FILTER (WHERE status = 'voided')::int AS voided,
              count(*) FILTER (WHERE status = 'expired')::int AS expired,
              count(*) FILTER (WHERE status = 'active' AND expires_at <= now())::int AS due_but_active,
              count(*) FILTER (WHERE status = 'active')::int AS open
         FROM holds`,
    );
    expect(holds.partial_captures).toBeGreaterThan(10);
    expect(holds.captured).toBeGreaterThan(holds.voided);
    expect(holds.voided).toBeGreaterThan(10);
    expect(holds.expired).toBeGreaterThan(10);
    expect(holds.due_but_active).toBe(0); // swept, as the service's sweeper would
    expect(holds.open).toBeGreaterThan(0); // orders still waiting to ship
    const [captures] = await query<Record<string, number>>(
      `SELECT count(*) FILTER (WHERE to_wallet_id IS NOT NULL)::int AS to_sellers, count(*) FILTER (WHERE to_wallet_id IS NULL)::int AS to_revenue,
              count(*) FILTER (WHERE refunded_amount > 0 AND refunded_amount < amount)::int AS partly_refunded
         FROM transactions WHERE type = 'capture'`,
    );
    expect(captures.to_sellers).toBeGreaterThan(captures.to_revenue);
    expect(captures.to_revenue).toBeGreaterThan(0);
    expect(captures.partly_refunded).toBeGreaterThan(5);
    // a seller's captures carry the seller's owner id as reference prefix, which the monthly report groups by
    const [prefix] = await query<{ mismatched: number }>(
      `SELECT count(*)::int AS mismatched FROM transactions t JOIN wallets s ON s.id = t.to_wallet_id
        WHERE t.type = 'capture' AND split_part(t.reference, ':', 1) <> s.owner_id`,
    );
    expect(prefix.mismatched).toBe(0);
  });

  it('spreads the history over the last 30 days, in time order', async () => {
    const [span] = await query<{ first: Date; last: Date; days: number }>(
      `SELECT min(created_at) AS first, max(created_at) AS last, count(DISTINCT date_trunc('day', created_at))::int AS days FROM transactions`,
    );
    const now = Date.now();
    expect(span.first.getTime()).toBeGreaterThan(now - 30 * DAY_MS - 60_000);
    expect(span.first.getTime()).toBeLessThan(now - 28 * DAY_MS);
    expect(span.last.getTime()).toBeGreaterThan(now - DAY_MS);
    expect(span.last.getTime()).toBeLessThanOrEqual(now);
    expect(span.days).toBeGreaterThanOrEqual(29);
    // the ledger order (entry ids) is the time order, and no wallet moves before it was opened
    const [order] = await query<{ backwards: number; before_opening: number }>(
      `SELECT (SELECT count(*)::int FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back FROM entries) e WHERE back) AS backwards,
              (SELECT count(*)::int FROM entries e JOIN wallets w ON w.id = e.wallet_id WHERE e.created_at < w.created_at) AS before_opening`,
    );
    expect(order).toEqual({ backwards: 0, before_opening: 0 });
  });

  it('keeps tenants apart: every movement stays within its tenant', async () => {
    const [crossing] = await query<{ entries: number; transfers: number; holds: number }>(
      `SELECT (SELECT count(*)::int FROM entries e JOIN wallets w ON w.id = e.wallet_id WHERE w.tenant_id <> e.tenant_id) AS entries,
              (SELECT count(*)::int FROM transactions t JOIN wallets f ON f.id = t.from_wallet_id JOIN wallets r ON r.id = t.to_wallet_id
                WHERE f.tenant_id <> t.tenant_id OR r.tenant_id <> t.tenant_id) AS transfers,
              (SELECT count(*)::int FROM holds h JOIN wallets w ON w.id = h.wallet_id WHERE w.tenant_id <> h.tenant_id) AS holds`,
    );
    expect(crossing).toEqual({ entries: 0, transfers: 0, holds: 0 });
  });

  it('leaves the ledger consistent: npm run ledger:verify finds no drift', async () => {
    const verify = await runCli(VERIFY_CLI, ['--json'], db.url);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout);
    expect(report).toMatchObject({ ok: true, driftCount: 0, counts: { wallets: 39 } });
  });

  it('creates one stored key per non-default tenant; each sees its own tenant over HTTP, and the month has data', async () => {
    const secrets = [...first.stdout.matchAll(/^ {2}(\w+) +key "demo" \(wallets:read, wallets:write\) +(wk_\S+)$/gm)].map((m) => ({ tenant: m[1], secret: m[2] }));
    expect(secrets.map((s) => s.tenant)).toEqual(['acme', 'globex']);
    const stored = await query<{ tenant_id: string; name: string; scopes: string[]; digest: string }>(
      `SELECT tenant_id, name, scopes, encode(secret_sha256, 'hex') AS digest FROM api_keys ORDER BY tenant_id`,
    );
    expect(stored).toEqual(
      secrets.map((s) => ({ tenant_id: s.tenant, name: 'demo', scopes: ['wallets:read', 'wallets:write'], digest: createHash('sha256').update(s.secret).digest('hex') })),
    );

    // The service on the seeded database, as a user would look at it with the printed key.
    const saved = { ...process.env };
    Object.assign(process.env, { NODE_ENV: 'test', API_KEYS: 'shop:test-secret-key-1', LOG_LEVEL: 'silent', HOLD_SWEEP_INTERVAL_MS: '0' });
    let app: INestApplication;
    try {
      app = await createHttpApp(db.url);
    } finally {
      process.env = saved;
    }
    try {
      await app.init();
      const http = request(app.getHttpServer());
      const acme = { Authorization: `Bearer ${secrets[0].secret}` };
      const [ivy] = await query<{ id: string }>(`SELECT id FROM wallets WHERE tenant_id = 'acme' AND owner_id = 'buyer_ivy' AND currency = 'EUR'`);
      const [anna] = await query<{ id: string }>(`SELECT id FROM wallets WHERE tenant_id = 'default' AND owner_id = 'buyer_anna'`);
      const listed = await http.get('/v1/wallets').query({ ownerId: 'buyer_ivy' }).set(acme).expect(200);
      expect(listed.body.data.map((w: { currency: string }) => w.currency)).toEqual(['EUR', 'USD']);
      await http.get(`/v1/wallets/${anna.id}`).set(acme).expect(404); // another tenant's wallet
      await http.get(`/v1/wallets/${ivy.id}`).set({ Authorization: `Bearer ${secrets[1].secret}` }).expect(404);

      const statement = await http.get(`/v1/wallets/${ivy.id}/statement`).set(acme).expect(200);
      expect(statement.body.entries.length).toBeGreaterThan(10);
      const wallet = await http.get(`/v1/wallets/${ivy.id}`).set(acme).expect(200);
      expect(statement.body.closingBalance).toBe(wallet.body.balance);
      const middle = new Date(Date.now() - 15 * DAY_MS).toISOString();
      const past = await http.get(`/v1/wallets/${ivy.id}/balance`).query({ at: middle }).set(acme).expect(200);
      const replayed = statement.body.entries.filter((e: { createdAt: string }) => e.createdAt <= middle).at(-1);
      expect(past.body.balance).toBe(replayed?.balanceAfter ?? 0);

      const [{ month }] = await query<{ month: Date }>(
        `SELECT max(t.created_at) AS month FROM transactions t JOIN wallets s ON s.id = t.to_wallet_id
          WHERE t.type = 'capture' AND s.owner_id = 'seller_trailhead' AND t.currency = 'EUR'`,
      );
      const period = { year: month.getUTCFullYear(), month: month.getUTCMonth() + 1, currency: 'EUR' };
      const report = await http.get('/v1/reports/monthly').query(period).set(acme).expect(200);
      expect(report.text).toMatch(/\r\nday,/);
      expect(report.text).toMatch(/\r\ncapture_prefix,[^,]+,capture,seller_trailhead,/);
    } finally {
      await app.close();
    }
  });

  it('refuses a database that already holds wallets (exit 1), and adds a second set with --force', async () => {
    const [before] = await query<{ count: number }>('SELECT count(*)::int AS count FROM transactions');
    const again = await runCli(SEED_CLI, [], db.url);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds wallets (20 in tenant acme, 11 in tenant default, 8 in tenant globex)');
    expect(again.stderr).toContain('--force');
    const [after] = await query<{ count: number }>('SELECT count(*)::int AS count FROM transactions');
    expect(after.count).toBe(before.count);

    const forced = await runCli(SEED_CLI, ['--force', '--json'], db.url);
    expect(forced.code).toBe(0);
    const result = JSON.parse(forced.stdout);
    expect(result).toMatchObject({ ownerSuffix: '_r2', totals: { wallets: 39 } });
    const [suffixed] = await query<{ count: number }>(`SELECT count(*)::int AS count FROM wallets WHERE owner_id LIKE '%\\_r2'`);
    expect(suffixed.count).toBe(39);
    expect((await query('SELECT 1 FROM api_keys WHERE name = $1', ['demo_r2'])).length).toBe(2);
    const verify = await runCli(VERIFY_CLI, ['--json'], db.url);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, counts: { wallets: 78 } });
  }, 60_000);

  it('plans the same history for the same --seed', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const shape = (seed: number) => buildDemoPlan({ seed, now }).ops.map((op) => [op.kind, op.at.getTime(), 'amount' in op ? op.amount : null]);
    expect(shape(5)).toEqual(shape(5));
    expect(shape(5)).not.toEqual(shape(6));
  });
});
