import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { LedgerVerifier } from '../../src/ledger/verify/ledger-verifier.js';
import { AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';
import { freePort } from '../bench/service-process.js';

const CLI = 'dist/src/cli/verify-ledger.js';
const MIGRATE = 'dist/src/cli/migrate.js';
const MAX = 9_007_199_254_740_991n;
/** A recomputed chain hash, which no test needs to know in advance. */
const HEX = expect.stringMatching(/^[0-9a-f]{64}$/) as unknown as string;

interface Drift {
  check: string;
  id: string;
  entryId?: number;
  expected: string | null;
  actual: string | null;
}
interface Report {
  checkedAt: string;
  ok: boolean;
  counts: Record<'wallets' | 'transactions' | 'entries' | 'holds', number>;
  driftCount: number;
  checks: { check: string; driftCount: number }[];
  drift: (Drift & { detail: string })[];
}
interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The ledger self-check against a real ledger built through the HTTP API, then corrupted on purpose
 * one way at a time (behind the service's back, bypassing triggers where the schema forbids the
 * change). Each kind of drift must be found and named by GET /v1/admin/ledger/verify and by
 * `npm run ledger:verify` (the production build, spawned); every test leaves the ledger clean again.
 */
describe('ledger self-check', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  let carol: string;
  let dan: string;
  let deposit: string;
  let refundedTransfer: string;
  let partlyCaptured: { holdId: string; captureId: string };
  let capturedToRevenue: { holdId: string; captureId: string };
  let voidedHold: string;
  let activeHold: string;
  let conversion: string;

  function runCli(args: string[] = [], databaseUrl = t.db.url): Promise<CliRun> {
    return run(CLI, args, { DATABASE_URL: databaseUrl });
  }

  function run(script: string, args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, NODE_ENV: 'test', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function verifyOverHttp(): Promise<Report> {
    const response = await t.http.get('/v1/admin/ledger/verify').set(AUTH);
    expect(response.status).toBe(200);
    return response.body as Report;
  }

  /** The drift both the endpoint and the CLI report, as (check, id, expected, actual), after checking the two agree. */
  async function driftFoundEverywhere(): Promise<Drift[]> {
    const [report, cli] = await Promise.all([verifyOverHttp(), runCli(['--json'])]);
    const cliReport = JSON.parse(cli.stdout) as Report;
    const essentials = (r: Report) =>
      r.drift.map(({ check, id, entryId, expected, actual }) => ({ check, id, ...(entryId !== undefined ? { entryId } : {}), expected, actual }));
    expect(essentials(cliReport)).toEqual(essentials(report));
    expect({ code: cli.code, ok: report.ok, cliOk: cliReport.ok }).toEqual({ code: 1, ok: false, cliOk: false });
    // every finding is counted in its check, and the report's total is theirs
    for (const check of report.checks) expect(check.driftCount).toBe(report.drift.filter((d) => d.check === check.check).length);
    expect(report.driftCount).toBe(report.drift.length);
    for (const drift of report.drift) expect(drift.detail.length).toBeGreaterThan(0);
    return essentials(report);
  }

  /** Runs SQL with triggers (append-only, sum-to-zero) and foreign keys off, as only a corrupting hand would. */
  async function behindTheLedger(sql: string, params: unknown[] = []): Promise<void> {
    const client = await t.db.pool.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query(sql, params);
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
  }

  const scalar = async (sql: string, params: unknown[] = []): Promise<string> => {
    const { rows } = await t.db.pool.query(sql, params);
    return String(Object.values(rows[0])[0]);
  };
  const balanceOf = (walletId: string) => scalar('SELECT balance FROM wallets WHERE id = $1', [walletId]);
  const hashOf = (entryId: string | number) => scalar(`SELECT encode(hash, 'hex') FROM entries WHERE id = $1`, [entryId]);
  const heldOf = (walletId: string) => scalar('SELECT held FROM wallets WHERE id = $1', [walletId]);

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
    // The sweeper would expire holds between a test's steps; the self-check must hold with or without it.
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
    const post = async (path: string, body: object, status = 201) => (await t.http.post(path).set(AUTH).send(body).expect(status)).body;

    alice = await fundedWallet(t.http, 'alice', 100_000);
    bob = await fundedWallet(t.http, 'bob', 50_000);
    carol = await fundedWallet(t.http, 'carol', 0);
    dan = await fundedWallet(t.http, 'dan', 30_000, 'USD');
    const erin = await fundedWallet(t.http, 'erin', 0, 'USD');

    deposit = (await post(`/v1/wallets/${bob}/deposits`, { amount: 7_500, reference: 'card-1' })).id;
    await post(`/v1/wallets/${alice}/withdrawals`, { amount: 1_500 });
    await post(`/v1/wallets/${dan}/withdrawals`, { amount: 2_000 });
    refundedTransfer = (await post('/v1/transfers', { fromWalletId: alice, toWalletId: carol, amount: 10_000 })).id;
    await post('/v1/transfers', { fromWalletId: dan, toWalletId: erin, amount: 5_000 });
    // transfers fired together: running balances must still chain
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => {
        const [from, to] = [[alice, bob], [bob, carol], [carol, alice]][i % 3];
        return post('/v1/transfers', { fromWalletId: from, toWalletId: to, amount: 10 + i });
      }),
    );

    const hold = async (walletId: string, amount: number, extra: object = {}) => (await post('/v1/holds', { walletId, amount, ...extra })).id as string;
    const partial = await hold(alice, 4_000);
    partlyCaptured = { holdId: partial, captureId: (await post(`/v1/holds/${partial}/capture`, { amount: 3_000, toWalletId: carol })).id };
    const whole = await hold(bob, 1_000);
    capturedToRevenue = { holdId: whole, captureId: (await post(`/v1/holds/${whole}/capture`, {})).id };
    voidedHold = await hold(alice, 500);
    await post(`/v1/holds/${voidedHold}/void`, {}, 200);
    activeHold = await hold(bob, 2_000);
    await hold(dan, 1_000, { expiresInSeconds: 3_600 });

    await post(`/v1/transactions/${deposit}/refunds`, { amount: 1_000 });
    await post(`/v1/transactions/${refundedTransfer}/refunds`, { amount: 2_000 });
    await post(`/v1/transactions/${refundedTransfer}/refunds`, { amount: 500 });
    await post(`/v1/transactions/${capturedToRevenue.captureId}/refunds`, { amount: 400 });

    // a conversion of 25.00 EUR from carol to fay at 1.1: 27.50 USD (a wallet of its own, so the chain tests below
    // find a transfer as dan's last entry)
    await t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: '1.1' }).expect(200);
    const fay = await fundedWallet(t.http, 'fay', 0, 'USD');
    const quote = await post('/v1/fx-quotes', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 2_500 });
    conversion = (await post('/v1/conversions', { quoteId: quote.id, fromWalletId: carol, toWalletId: fay })).id;
  });
  afterAll(() => t?.close());

  describe('on a clean ledger', () => {
    it('GET /v1/admin/ledger/verify answers 200 ok: true, counts the snapshot and runs every check', async () => {
      const report = await verifyOverHttp();
      expect(report).toEqual(expect.objectContaining({ ok: true, driftCount: 0, drift: [], driftLimitPerCheck: 100 }));
      const { rows } = await t.db.pool.query(
        `SELECT (SELECT count(*) FROM wallets)::int AS wallets, (SELECT count(*) FROM transactions)::int AS transactions,
                (SELECT count(*) FROM entries)::int AS entries, (SELECT count(*) FROM holds)::int AS holds`,
      );
      expect(report.counts).toEqual(rows[0]);
      expect(report.counts).toEqual(expect.objectContaining({ wallets: 6, holds: 5 }));
      expect(report.checks.map((c) => c.check)).toEqual([
        'wallet_balance_equals_entries',
        'wallet_balance_equals_last_entry',
        'wallet_held_equals_active_holds',
        'transaction_entries_sum_to_zero',
        'entries_have_transaction',
        'entries_in_transaction_currency',
        'conversion_legs_match_quote',
        'currency_entries_sum_to_zero',
        'refunded_amount_equals_refunds',
        'hold_captured_amount_equals_capture',
        'wallet_entry_chain_intact',
        'wallet_chain_head_matches_last_entry',
      ]);
      for (const check of report.checks) expect(check.driftCount).toBe(0);
      expect(Date.parse(report.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('the CLI exits 0 and prints a summary, then the JSON report; with --json only the report', async () => {
      const plain = await runCli();
      expect({ code: plain.code, stderr: plain.stderr }).toEqual({ code: 0, stderr: '' });
      expect(plain.stdout).toMatch(/^Ledger self-check at \S+ \(\d+ ms\): OK, no drift\n/);
      expect(plain.stdout).toContain('6 wallets');
      const report = JSON.parse(plain.stdout.slice(plain.stdout.indexOf('\n{\n'))) as Report;
      expect(report.ok).toBe(true);

      const json = await runCli(['--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual(expect.objectContaining({ ok: true, counts: report.counts, drift: [] }));
    });

    it('an active hold past expires_at still counts in held until it is swept, and is consistent after the sweep too', async () => {
      await t.db.pool.query(`UPDATE holds SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE id = $1`, [
        activeHold,
      ]);
      expect((await verifyOverHttp()).ok).toBe(true);
      await t.db.pool.query('SELECT release_due_holds($1, now())', [bob]);
      expect(await scalar('SELECT status FROM holds WHERE id = $1', [activeHold])).toBe('expired');
      expect((await verifyOverHttp()).ok).toBe(true);
    });
  });

  describe('finds and names drift', () => {
    // Every test undoes its damage; this proves it did, so no test passes on another's drift.
    afterEach(async () => {
      expect((await verifyOverHttp()).drift).toEqual([]);
    });

    it('a wallet balance changed without an entry: against the entries and against the last balance_after', async () => {
      const balance = BigInt(await balanceOf(carol));
      await t.db.pool.query('UPDATE wallets SET balance = balance + 1 WHERE id = $1', [carol]);
      try {
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'wallet_balance_equals_entries', id: carol, expected: String(balance), actual: String(balance + 1n) },
          { check: 'wallet_balance_equals_last_entry', id: carol, expected: String(balance), actual: String(balance + 1n) },
        ]);
        const human = await runCli();
        expect(human.code).toBe(1);
        expect(human.stdout).toMatch(/: DRIFT \(2\)\n/);
        expect(human.stdout).toContain(`${carol}: expected ${balance}, actual ${balance + 1n}`);
      } finally {
        await t.db.pool.query('UPDATE wallets SET balance = balance - 1 WHERE id = $1', [carol]);
      }
    });

    it("a last entry's balance_after that disagrees with the balance", async () => {
      const lastEntry = await scalar('SELECT max(id) FROM entries WHERE wallet_id = $1', [alice]);
      const balance = BigInt(await balanceOf(alice));
      await behindTheLedger('UPDATE entries SET balance_after = balance_after - 5 WHERE id = $1', [lastEntry]);
      try {
        // the chain names the same entry: its balance after is part of what it hashes
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'wallet_balance_equals_last_entry', id: alice, expected: String(balance - 5n), actual: String(balance) },
          { check: 'wallet_entry_chain_intact', id: alice, entryId: Number(lastEntry), expected: HEX, actual: await hashOf(lastEntry) },
        ]);
      } finally {
        await behindTheLedger('UPDATE entries SET balance_after = balance_after + 5 WHERE id = $1', [lastEntry]);
      }
    });

    it('a held amount that is not the sum of the active holds', async () => {
      const held = BigInt(await heldOf(dan));
      await t.db.pool.query('UPDATE wallets SET held = held + 7 WHERE id = $1', [dan]);
      try {
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'wallet_held_equals_active_holds', id: dan, expected: String(held), actual: String(held + 7n) },
        ]);
      } finally {
        await t.db.pool.query('UPDATE wallets SET held = held - 7 WHERE id = $1', [dan]);
      }
    });

    it('an active hold ended without releasing its money', async () => {
      const [dansHold] = (await t.db.pool.query(`SELECT id, amount FROM holds WHERE wallet_id = $1 AND status = 'active'`, [dan])).rows;
      const held = BigInt(await heldOf(dan));
      await t.db.pool.query(`UPDATE holds SET status = 'voided', released_at = now() WHERE id = $1`, [dansHold.id]);
      try {
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'wallet_held_equals_active_holds', id: dan, expected: String(held - BigInt(dansHold.amount)), actual: String(held) },
        ]);
      } finally {
        await t.db.pool.query(`UPDATE holds SET status = 'active', released_at = NULL WHERE id = $1`, [dansHold.id]);
      }
    });

    it('an unbalanced transaction, which also unbalances its currency', async () => {
      const { rows } = await t.db.pool.query('SELECT 1 FROM entries WHERE transaction_id = $1', [deposit]);
      expect(rows).toHaveLength(2);
      await behindTheLedger(`INSERT INTO entries (tenant_id, transaction_id, currency, account, amount) VALUES ('default', $1, 'EUR', 'world:EUR', 5)`, [deposit]);
      try {
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'transaction_entries_sum_to_zero', id: deposit, expected: '0', actual: '5' },
          { check: 'currency_entries_sum_to_zero', id: 'EUR', expected: '0', actual: '5' },
        ]);
      } finally {
        await behindTheLedger(`DELETE FROM entries WHERE transaction_id = $1 AND account = 'world:EUR' AND amount = 5`, [deposit]);
      }
    });

    it("a conversion's legs moved between its currencies: each currency unbalanced on its own, though the transaction sums to zero", async () => {
      await behindTheLedger(
        `INSERT INTO entries (tenant_id, transaction_id, currency, account, amount) VALUES ('default', $1, 'EUR', 'fx:EUR', -7), ('default', $1, 'USD', 'fx:USD', 7)`,
        [conversion],
      );
      try {
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'transaction_entries_sum_to_zero', id: conversion, expected: '0', actual: '-7' },
          { check: 'transaction_entries_sum_to_zero', id: conversion, expected: '0', actual: '7' },
          { check: 'conversion_legs_match_quote', id: conversion, expected: '2500', actual: '2493' },
          { check: 'currency_entries_sum_to_zero', id: 'EUR', expected: '0', actual: '-7' },
          { check: 'currency_entries_sum_to_zero', id: 'USD', expected: '0', actual: '7' },
        ]);
      } finally {
        await behindTheLedger(`DELETE FROM entries WHERE transaction_id = $1 AND amount IN (-7, 7)`, [conversion]);
      }
    });

    it('a conversion paying less than its quote, balanced in its currency: its legs tell, and the forged entry breaks its wallet\'s chain', async () => {
      await behindTheLedger(
        // a wallet entry needs a hash (entries_hash_for_wallets); whoever forges one cannot chain it
        `INSERT INTO entries (tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, hash)
         VALUES ('default', $1, 'EUR', NULL, 'world:EUR', -1, NULL, NULL),
                ('default', $1, 'EUR', $2, NULL, 1, (SELECT balance + 1 FROM wallets WHERE id = $2), sha256('forged'::bytea))`,
        [conversion, carol],
      );
      try {
        const found = await driftFoundEverywhere();
        expect(found).toEqual(expect.arrayContaining([{ check: 'conversion_legs_match_quote', id: conversion, expected: '-2500', actual: '-2499' }]));
        expect(found.filter((d) => d.check !== 'conversion_legs_match_quote').map((d) => d.check).sort()).toEqual(
          ['wallet_balance_equals_entries', 'wallet_balance_equals_last_entry', 'wallet_chain_head_matches_last_entry', 'wallet_entry_chain_intact'].sort(),
        );
      } finally {
        await behindTheLedger(`DELETE FROM entries WHERE transaction_id = $1 AND amount IN (-1, 1)`, [conversion]);
      }
    });

    it("entries in a currency that is not their transaction's, or of another tenant", async () => {
      await behindTheLedger(
        `INSERT INTO entries (tenant_id, transaction_id, currency, account, amount) VALUES ('default', $1, 'GBP', 'world:GBP', -3), ('default', $1, 'GBP', 'fx:GBP', 3),
                                                                                      ('acme', $2, 'EUR', 'world:EUR', -4), ('acme', $2, 'EUR', 'revenue:EUR', 4)`,
        [conversion, deposit],
      );
      try {
        const found = await driftFoundEverywhere();
        expect(found).toEqual(expect.arrayContaining([
          { check: 'entries_in_transaction_currency', id: conversion, expected: '0', actual: '6' },
          { check: 'entries_in_transaction_currency', id: deposit, expected: '0', actual: '8' },
        ]));
      } finally {
        await behindTheLedger(`DELETE FROM entries WHERE transaction_id IN ($1, $2) AND amount IN (-3, 3, -4, 4)`, [conversion, deposit]);
      }
    });

    it('sums beyond 2^53 are reported exactly, as decimal strings', async () => {
      await behindTheLedger(
        `INSERT INTO entries (tenant_id, transaction_id, currency, account, amount) VALUES ('default', $1, 'EUR', 'world:EUR', $2), ('default', $1, 'EUR', 'world:EUR', $2)`,
        [deposit, String(MAX)],
      );
      try {
        const twiceMax = String(2n * MAX); // 18014398509481982: a Number would round it to ...984
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'transaction_entries_sum_to_zero', id: deposit, expected: '0', actual: twiceMax },
          { check: 'currency_entries_sum_to_zero', id: 'EUR', expected: '0', actual: twiceMax },
        ]);
      } finally {
        await behindTheLedger(`DELETE FROM entries WHERE transaction_id = $1 AND amount = $2`, [deposit, String(MAX)]);
      }
    });

    it('a transaction without entries', async () => {
      const id = randomUUID();
      await t.db.pool.query(`INSERT INTO transactions (tenant_id, id, type, amount, currency, wallet_id) VALUES ('default', $1, 'deposit', 300, 'EUR', $2)`, [id, alice]);
      try {
        expect(await driftFoundEverywhere()).toEqual([{ check: 'transaction_entries_sum_to_zero', id, expected: '0', actual: null }]);
      } finally {
        await t.db.pool.query('DELETE FROM transactions WHERE id = $1', [id]);
      }
    });

    it('entries of a transaction that does not exist', async () => {
      const id = randomUUID();
      await behindTheLedger(
        `INSERT INTO entries (tenant_id, transaction_id, currency, account, amount) VALUES ('default', $1, 'USD', 'world:USD', -9), ('default', $1, 'USD', 'revenue:USD', 9)`,
        [id],
      );
      try {
        expect(await driftFoundEverywhere()).toEqual([{ check: 'entries_have_transaction', id, expected: null, actual: '0' }]);
      } finally {
        await behindTheLedger('DELETE FROM entries WHERE transaction_id = $1', [id]);
      }
    });

    it('a refunded_amount that is not the sum of the refunds', async () => {
      expect(await scalar('SELECT refunded_amount FROM transactions WHERE id = $1', [refundedTransfer])).toBe('2500');
      await t.db.pool.query('UPDATE transactions SET refunded_amount = 2400 WHERE id = $1', [refundedTransfer]);
      try {
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'refunded_amount_equals_refunds', id: refundedTransfer, expected: '2500', actual: '2400' },
        ]);
      } finally {
        await t.db.pool.query('UPDATE transactions SET refunded_amount = 2500 WHERE id = $1', [refundedTransfer]);
      }
    });

    it("a captured hold's captured_amount that is not its capture's amount", async () => {
      await t.db.pool.query('UPDATE holds SET captured_amount = captured_amount - 1 WHERE id = $1', [partlyCaptured.holdId]);
      try {
        expect(await driftFoundEverywhere()).toEqual([
          { check: 'hold_captured_amount_equals_capture', id: partlyCaptured.holdId, expected: '3000', actual: '2999' },
        ]);
      } finally {
        await t.db.pool.query('UPDATE holds SET captured_amount = captured_amount + 1 WHERE id = $1', [partlyCaptured.holdId]);
      }
    });

    it('a capture that names a voided hold, leaving its captured hold without one', async () => {
      await t.db.pool.query('UPDATE transactions SET hold_id = $1 WHERE id = $2', [voidedHold, capturedToRevenue.captureId]);
      try {
        const found = await driftFoundEverywhere();
        expect(found).toHaveLength(2);
        expect(found).toEqual(
          expect.arrayContaining([
            { check: 'hold_captured_amount_equals_capture', id: capturedToRevenue.holdId, expected: null, actual: '1000' },
            { check: 'hold_captured_amount_equals_capture', id: voidedHold, expected: '1000', actual: '0' },
          ]),
        );
      } finally {
        await t.db.pool.query('UPDATE transactions SET hold_id = $1 WHERE id = $2', [capturedToRevenue.holdId, capturedToRevenue.captureId]);
      }
    });

    describe('the chain of entry hashes', () => {
      /** A wallet's entries in ledger order, with what the chain covers. */
      const entriesOf = async (walletId: string) =>
        (await t.db.pool.query(`SELECT id::int AS id, transaction_id, amount::text AS amount, encode(hash, 'hex') AS hash FROM entries WHERE wallet_id = $1 ORDER BY id`, [walletId]))
          .rows as { id: number; transaction_id: string; amount: string; hash: string }[];

      it("an entry's amount changed: the chain names that entry and nothing after it; the sums name its wallet and transaction", async () => {
        const [, , victim] = await entriesOf(carol);
        const balance = BigInt(await balanceOf(carol));
        await behindTheLedger('UPDATE entries SET amount = amount + 1 WHERE id = $1', [victim!.id]);
        try {
          expect(await driftFoundEverywhere()).toEqual([
            { check: 'wallet_balance_equals_entries', id: carol, expected: String(balance + 1n), actual: String(balance) },
            { check: 'transaction_entries_sum_to_zero', id: victim!.transaction_id, expected: '0', actual: '1' },
            { check: 'currency_entries_sum_to_zero', id: 'EUR', expected: '0', actual: '1' },
            { check: 'wallet_entry_chain_intact', id: carol, entryId: victim!.id, expected: HEX, actual: victim!.hash },
          ]);
          const human = await runCli();
          expect(human.stdout).toContain(`${carol} entry ${victim!.id}: expected `);
        } finally {
          await behindTheLedger('UPDATE entries SET amount = amount - 1 WHERE id = $1', [victim!.id]);
        }
      });

      it('a careful forgery that keeps every sum and balance right is found by the chain alone, at the entry it changed', async () => {
        // alice's withdrawal of 1500 rewritten as 1490: its world leg, its transaction, every later balance_after of
        // alice and alice's balance are changed to match, so every check that adds things up still agrees
        const withdrawal = (await t.db.pool.query(`SELECT id FROM transactions WHERE type = 'withdrawal' AND wallet_id = $1`, [alice])).rows[0].id;
        const victim = (await entriesOf(alice)).find((e) => e.transaction_id === withdrawal)!;
        expect(victim.amount).toBe('-1500');
        const forge = async (delta: number) => {
          await behindTheLedger('UPDATE entries SET amount = amount + $2 WHERE id = $1', [victim.id, delta]);
          await behindTheLedger('UPDATE entries SET amount = amount - $2 WHERE transaction_id = $1 AND id <> $3', [withdrawal, delta, victim.id]);
          await behindTheLedger('UPDATE transactions SET amount = amount - $2 WHERE id = $1', [withdrawal, delta]);
          await behindTheLedger('UPDATE entries SET balance_after = balance_after + $2 WHERE wallet_id = $1 AND id >= $3', [alice, delta, victim.id]);
          await behindTheLedger('UPDATE wallets SET balance = balance + $2 WHERE id = $1', [alice, delta]);
        };
        await forge(10);
        try {
          // every later entry of alice changed its balance_after too, yet only the first broken one is named
          expect(await driftFoundEverywhere()).toEqual([
            { check: 'wallet_entry_chain_intact', id: alice, entryId: victim.id, expected: HEX, actual: victim.hash },
          ]);
        } finally {
          await forge(-10);
        }
      });

      it("a transaction's reference changed: the chain names its entry in each wallet it moved money between, and nothing else", async () => {
        const [carolsEntry] = (await entriesOf(carol)).filter((e) => e.transaction_id === refundedTransfer);
        const [alicesEntry] = (await entriesOf(alice)).filter((e) => e.transaction_id === refundedTransfer);
        await t.db.pool.query(`UPDATE transactions SET reference = 'edited' WHERE id = $1`, [refundedTransfer]);
        try {
          expect(await driftFoundEverywhere()).toEqual(
            [
              { check: 'wallet_entry_chain_intact', id: alice, entryId: alicesEntry!.id, expected: HEX, actual: alicesEntry!.hash },
              { check: 'wallet_entry_chain_intact', id: carol, entryId: carolsEntry!.id, expected: HEX, actual: carolsEntry!.hash },
            ].sort((a, b) => (a.id < b.id ? -1 : 1)),
          );
        } finally {
          await t.db.pool.query('UPDATE transactions SET reference = NULL WHERE id = $1', [refundedTransfer]);
        }
      });

      it("a transaction's metadata or description changed is found the same way", async () => {
        const [bobsEntry] = (await entriesOf(bob)).filter((e) => e.transaction_id === deposit);
        for (const change of [`metadata = '{"forged": true}'`, `description = 'forged'`]) {
          await t.db.pool.query(`UPDATE transactions SET ${change} WHERE id = $1`, [deposit]);
          try {
            expect(await driftFoundEverywhere()).toEqual([
              { check: 'wallet_entry_chain_intact', id: bob, entryId: bobsEntry!.id, expected: HEX, actual: bobsEntry!.hash },
            ]);
          } finally {
            await t.db.pool.query(`UPDATE transactions SET metadata = '{}', description = NULL WHERE id = $1`, [deposit]);
          }
        }
      });

      it("a wallet's last entry removed: the wallet row still remembers its hash (and the sums see the money)", async () => {
        const last = (await entriesOf(dan)).at(-1)!;
        const [row] = (await t.db.pool.query('SELECT * FROM entries WHERE id = $1', [last.id])).rows;
        const [counter] = (await t.db.pool.query('SELECT * FROM entries WHERE transaction_id = $1 AND id <> $2', [last.transaction_id, last.id])).rows;
        await behindTheLedger('DELETE FROM entries WHERE transaction_id = $1', [last.transaction_id]);
        try {
          const found = await driftFoundEverywhere();
          // the transfer's other wallet (erin) lost its only entry with it
          expect(found.filter((d) => d.check.includes('chain'))).toEqual(
            [
              { check: 'wallet_chain_head_matches_last_entry', id: dan, entryId: expect.any(Number), expected: HEX, actual: last.hash },
              { check: 'wallet_chain_head_matches_last_entry', id: counter.wallet_id, expected: null, actual: counter.hash.toString('hex') },
            ].sort((a, b) => (a.id < b.id ? -1 : 1)),
          );
          expect(found.map((d) => d.check)).toEqual(
            expect.arrayContaining(['wallet_balance_equals_entries', 'transaction_entries_sum_to_zero', 'wallet_chain_head_matches_last_entry']),
          );
        } finally {
          for (const entry of [row, counter].sort((a, b) => Number(a.id) - Number(b.id))) {
            await behindTheLedger(
              `INSERT INTO entries (id, tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, created_at, hash)
               OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
              [entry.id, entry.tenant_id, entry.transaction_id, entry.currency, entry.wallet_id, entry.account, entry.amount, entry.balance_after, entry.created_at, entry.hash],
            );
          }
        }
      });

      it('an entry removed from the middle of a chain: the entry after the gap is named', async () => {
        const entries = await entriesOf(carol);
        const [removed, next] = [entries[3]!, entries[4]!];
        const rows = (await t.db.pool.query('SELECT * FROM entries WHERE transaction_id = $1 ORDER BY id', [removed.transaction_id])).rows;
        await behindTheLedger('DELETE FROM entries WHERE transaction_id = $1', [removed.transaction_id]);
        try {
          const found = await driftFoundEverywhere();
          expect(found.filter((d) => d.id === carol && d.check === 'wallet_entry_chain_intact')).toEqual([
            { check: 'wallet_entry_chain_intact', id: carol, entryId: next.id, expected: HEX, actual: next.hash },
          ]);
        } finally {
          for (const entry of rows) {
            await behindTheLedger(
              `INSERT INTO entries (id, tenant_id, transaction_id, currency, wallet_id, account, amount, balance_after, created_at, hash)
               OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
              [entry.id, entry.tenant_id, entry.transaction_id, entry.currency, entry.wallet_id, entry.account, entry.amount, entry.balance_after, entry.created_at, entry.hash],
            );
          }
        }
      });
    });

    it('lists at most 100 drift items per check but counts them all', async () => {
      // 120 transactions without entries, added and removed in one statement each
      await t.db.pool.query(
        `INSERT INTO transactions (tenant_id, id, type, amount, currency, wallet_id, reference)
         SELECT 'default', gen_random_uuid(), 'deposit', 1, 'EUR', $1, 'ledger-verify-bulk' FROM generate_series(1, 120)`,
        [alice],
      );
      try {
        const report = await verifyOverHttp();
        expect(report.checks.find((c) => c.check === 'transaction_entries_sum_to_zero')?.driftCount).toBe(120);
        expect(report.driftCount).toBe(120);
        expect(report.drift).toHaveLength(100);
        const listed = report.drift.map((d) => d.id);
        expect(listed).toEqual([...listed].sort());
        const cli = await runCli();
        expect(cli.code).toBe(1);
        expect(cli.stdout).toContain('… and 20 more');
      } finally {
        await t.db.pool.query(`DELETE FROM transactions WHERE reference = 'ledger-verify-bulk'`);
      }
    });
  });

  describe('the endpoint and the CLI otherwise', () => {
    it('callers that arrive during a run share it: one snapshot, one pooled connection', async () => {
      const transactions = jest.spyOn(t.app.get(DataSource), 'transaction');
      try {
        const verifier = t.app.get(LedgerVerifier);
        const reports = await Promise.all([verifier.verify(), verifier.verify(), verifier.verify()]);
        expect(transactions).toHaveBeenCalledTimes(1);
        expect(new Set(reports).size).toBe(1);
        await verifier.verify();
        expect(transactions).toHaveBeenCalledTimes(2);
      } finally {
        transactions.mockRestore();
      }
    });

    it('the endpoint needs an API key', async () => {
      const response = await t.http.get('/v1/admin/ledger/verify');
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
    });

    it('is in the OpenAPI document with its report, example and the bearer scheme', async () => {
      const doc = (await t.http.get('/docs-json').expect(200)).body;
      const operation = doc.paths['/v1/admin/ledger/verify']?.get;
      expect(operation).toBeDefined();
      // 429: the rate limits, on by default (README "Rate limits").
      expect(Object.keys(operation.responses).sort()).toEqual(['200', '401', '403', '429', '503']);
      expect(Object.keys(operation.responses['200'].content['application/json'].examples).sort()).toEqual(['clean', 'drift']);
      expect(operation.security).toEqual(expect.arrayContaining([expect.objectContaining({ 'api-key': expect.any(Array) })]));
      const report = doc.components.schemas.LedgerReportDto;
      expect(Object.keys(report.properties).sort()).toEqual(
        ['checkedAt', 'checks', 'counts', 'driftCount', 'driftLimitPerCheck', 'drift', 'durationMs', 'ok'].sort(),
      );
    });

    it('the CLI exits 2 when it cannot check: an unreachable database, an unknown argument', async () => {
      const missing = new URL(t.db.url);
      missing.pathname = '/no_such_database_for_ledger_verify';
      const unreachable = await runCli(['--json'], missing.toString());
      expect(unreachable.code).toBe(2);
      expect(unreachable.stdout).toBe('');
      expect(unreachable.stderr).toMatch(/^ledger:verify failed: .*no_such_database_for_ledger_verify/);

      const unknown = await runCli(['--fix']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown argument --fix');
    });

    it('without DATABASE_URL the CLI starts the embedded PostgreSQL as npm start does, and its exit code survives stopping it', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'wallet-ledger-verify-pg-'));
      const env = { DATABASE_URL: undefined, EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) };
      try {
        const unmigrated = await run(CLI, ['--json'], env);
        expect({ code: unmigrated.code, stderr: unmigrated.stderr }).toEqual({ code: 2, stderr: 'ledger:verify failed: relation "wallets" does not exist\n' });
        expect((await run(MIGRATE, [], env)).code).toBe(0);
        const migrated = await run(CLI, ['--json'], env);
        expect(migrated.code).toBe(0);
        expect(JSON.parse(migrated.stdout)).toEqual(expect.objectContaining({ ok: true, counts: { wallets: 0, transactions: 0, entries: 0, holds: 0 } }));
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
});
