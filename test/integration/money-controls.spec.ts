import type { Response } from 'supertest';
import { HoldsSweeper } from '../../src/ledger/holds/holds.sweeper.js';
import { expectProblem } from '../support/expect-problem.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { manualClock, type ManualClock } from '../support/manual-clock.js';
import { eventually, lockWallet, queuedMoves, releaseWalletLocks, serviceLockWaits, writersOf } from '../support/group-posting.js';
import { AUTH, fundedWallet, newWallet, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Limits (`dailyDebit`, `monthlyDebit`, `maxBalance`) through the real HTTP stack on real PostgreSQL: checked under
 * the wallet's row lock in the same statement as funds, so many requests in flight at once can never pass a
 * limit together. Time is the service's clock, set by the test (manual-clock.ts): periods roll over at UTC
 * midnight and on the first of the month without anyone waiting. Nothing here asserts a duration.
 */

type Body = Record<string, any>;

const MAX = Number.MAX_SAFE_INTEGER;

describe('money controls: limits', () => {
  let t: TestApp;
  let clock: ManualClock;

  beforeAll(async () => {
    // the sweeper would release due holds between a test's steps; reads and writes must not depend on it
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
    clock = manualClock(t.app, new Date('2031-03-10T12:00:00.000Z'));
  });
  afterAll(async () => {
    clock.restore();
    await t.close();
  });
  afterEach(() => expectLedgerInvariants(t.db.pool));

  const post = (path: string, body: object, key?: string) => {
    const request = t.http.post(path).set(AUTH);
    return (key ? request.set('Idempotency-Key', key) : request).send(body);
  };
  const withdraw = (walletId: string, amount: number, key?: string) => post(`/v1/wallets/${walletId}/withdrawals`, { amount }, key);
  const deposit = (walletId: string, amount: number) => post(`/v1/wallets/${walletId}/deposits`, { amount });
  const transfer = (fromWalletId: string, toWalletId: string, amount: number) => post('/v1/transfers', { fromWalletId, toWalletId, amount });
  const hold = (walletId: string, amount: number, extra: object = {}) => post('/v1/holds', { walletId, amount, ...extra });
  const wallet = async (walletId: string): Promise<Body> => (await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200)).body;
  const patch = (walletId: string, body: object) => t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send(body);
  const stored = async (walletId: string) =>
    (
      await t.db.pool.query(
        `SELECT debit_period::text AS period, debit_day_used::float8 AS day, debit_month_used::float8 AS month FROM wallets WHERE id = $1`,
        [walletId],
      )
    ).rows[0];

  /** A refusal for a limit: 422 LIMIT_EXCEEDED whose detail names the limit and, for the debit limits, when it resets. */
  function expectLimitRefusal(reply: Response, limit: 'dailyDebit' | 'monthlyDebit' | 'maxBalance', resetsAt?: string): void {
    expectProblem(reply, 422, 'LIMIT_EXCEEDED');
    expect(reply.body.detail).toContain(limit);
    if (resetsAt) expect(reply.body.detail).toContain(`resets at ${resetsAt}`);
  }

  describe('debit limits under concurrency', () => {
    it.each([
      ['dailyDebit', 250, '2031-03-11T00:00:00.000Z'],
      ['monthlyDebit', 170, '2031-04-01T00:00:00.000Z'],
    ] as const)('50 concurrent withdrawals of 10 against %s %i: exactly the allowed number succeed, none more', async (limit, amount, resetsAt) => {
      const walletId = await fundedWallet(t.http, 10_000, { limits: { [limit]: amount } });
      const replies = await Promise.all(Array.from({ length: 50 }, () => withdraw(walletId, 10)));
      const posted = replies.filter((reply) => reply.status === 201);
      expect(posted).toHaveLength(amount / 10);
      const refused = replies.filter((reply) => reply.status !== 201);
      expect(refused).toHaveLength(50 - amount / 10);
      for (const reply of refused) expectLimitRefusal(reply, limit, resetsAt);
      // each success saw a distinct balance: nobody passed the limit on a stale read
      const after = posted.map((reply) => reply.body.entries.find((e: Body) => e.walletId === walletId).balanceAfter).sort((a: number, b: number) => b - a);
      expect(after).toEqual(Array.from({ length: amount / 10 }, (_, i) => 10_000 - 10 * (i + 1)));
      const shown = await wallet(walletId);
      expect(shown.balance).toBe(10_000 - amount);
      expect(shown.limits).toEqual({ [limit]: amount });
      expect(shown.limitUsage[limit]).toEqual({ used: amount, remaining: 0, resetsAt });
      expect(await stored(walletId)).toEqual({ period: '2031-03-10', day: amount, month: amount });
    });

    it('concurrent transfers out and holds share one daily limit', async () => {
      const payer = await fundedWallet(t.http, 10_000, { limits: { dailyDebit: 300 } });
      const payee = await newWallet(t.http);
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? transfer(payer, payee, 20) : hold(payer, 20))),
      );
      expect(replies.filter((reply) => reply.status === 201)).toHaveLength(15);
      for (const reply of replies.filter((r) => r.status !== 201)) expectLimitRefusal(reply, 'dailyDebit');
      const transfers = replies.filter((reply, i) => i % 2 === 0 && reply.status === 201).length;
      const holds = replies.filter((reply, i) => i % 2 === 1 && reply.status === 201).length;
      const shown = await wallet(payer);
      expect({ balance: shown.balance, held: shown.held, used: shown.limitUsage.dailyDebit.used }).toEqual({
        balance: 10_000 - 20 * transfers,
        held: 20 * holds,
        used: 300,
      });
      expect((await wallet(payee)).balance).toBe(20 * transfers);
    });
  });

  describe('holds, captures, voids and expiry', () => {
    it('a hold counts from placement; a capture makes it what it captured and gives the rest back; void and expiry give it all back', async () => {
      const buyer = await fundedWallet(t.http, 10_000, { limits: { dailyDebit: 1_000 } });
      const seller = await newWallet(t.http);
      const usedNow = async () => (await wallet(buyer)).limitUsage.dailyDebit;

      const a = (await hold(buyer, 600).expect(201)).body.id;
      expect(await usedNow()).toEqual({ used: 600, remaining: 400, resetsAt: '2031-03-11T00:00:00.000Z' });
      expectLimitRefusal(await hold(buyer, 500), 'dailyDebit', '2031-03-11T00:00:00.000Z');
      expect((await withdraw(buyer, 400)).status).toBe(201);
      expect((await usedNow()).used).toBe(1_000);

      // at the limit, a capture still goes through: its hold already counted
      const capture = await post(`/v1/holds/${a}/capture`, { amount: 450, toWalletId: seller });
      expect(capture.status).toBe(201);
      expect((await usedNow()).used).toBe(850);

      const c = (await hold(buyer, 150).expect(201)).body.id;
      expect((await usedNow()).used).toBe(1_000);
      expect((await post(`/v1/holds/${c}/void`, {})).status).toBe(200);
      expect((await usedNow()).used).toBe(850);

      // a whole capture to revenue leaves the hold's amount counted
      const d = (await hold(buyer, 50).expect(201)).body.id;
      expect((await post(`/v1/holds/${d}/capture`, {})).status).toBe(201);
      expect((await usedNow()).used).toBe(900);

      // expiry: the hold stops counting the moment it is due, before anybody marks it expired …
      (await hold(buyer, 100, { expiresInSeconds: 60 }).expect(201)).body.id;
      expect((await usedNow()).used).toBe(1_000);
      expectLimitRefusal(await withdraw(buyer, 1), 'dailyDebit');
      clock.advance(60_000);
      expect(await usedNow()).toEqual({ used: 900, remaining: 100, resetsAt: '2031-03-11T00:00:00.000Z' });
      expect(await stored(buyer)).toEqual({ period: '2031-03-10', day: 1_000, month: 1_000 });
      // … and the next move on the wallet releases it in the stored figures too, in the same statement
      expect((await withdraw(buyer, 100)).status).toBe(201);
      expect(await stored(buyer)).toEqual({ period: '2031-03-10', day: 1_000, month: 1_000 });
      expectLimitRefusal(await withdraw(buyer, 1), 'dailyDebit');
      const shown = await wallet(buyer);
      expect({ balance: shown.balance, held: shown.held }).toEqual({ balance: 10_000 - 400 - 450 - 50 - 100, held: 0 });
    });

    it('the sweeper gives an expired hold back as a move would', async () => {
      const buyer = await fundedWallet(t.http, 1_000, { limits: { monthlyDebit: 500 } });
      await hold(buyer, 300, { expiresInSeconds: 30 }).expect(201);
      await hold(buyer, 100).expect(201);
      expect(await stored(buyer)).toMatchObject({ day: 400, month: 400 });
      clock.advance(30_000);
      expect(await t.app.get(HoldsSweeper).sweep()).toBeGreaterThanOrEqual(1);
      expect(await stored(buyer)).toMatchObject({ day: 100, month: 100 });
      expect((await wallet(buyer)).limitUsage.monthlyDebit).toMatchObject({ used: 100, remaining: 400 });
    });

    it('a capture to a wallet checks its maxBalance; a hold is refused by a debit limit like any debit', async () => {
      const buyer = await fundedWallet(t.http, 5_000);
      const seller = await fundedWallet(t.http, 900, { limits: { maxBalance: 1_000 } });
      const holdId = (await hold(buyer, 300).expect(201)).body.id;
      expectLimitRefusal(await post(`/v1/holds/${holdId}/capture`, { toWalletId: seller }), 'maxBalance');
      // nothing moved: the hold is still active and whole
      expect((await t.http.get(`/v1/holds/${holdId}`).set(AUTH).expect(200)).body).toMatchObject({ status: 'active', amount: 300 });
      expect((await post(`/v1/holds/${holdId}/capture`, { toWalletId: seller, amount: 100 })).status).toBe(201);
      expect((await wallet(seller)).balance).toBe(1_000);
    });
  });

  describe('maxBalance', () => {
    it('bounds the balance under concurrent deposits and transfers in: exactly what fits posts', async () => {
      const target = await newWallet(t.http, { limits: { maxBalance: 1_000 } });
      const source = await fundedWallet(t.http, 100_000);
      const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? deposit(target, 50) : transfer(source, target, 50))));
      expect(replies.filter((reply) => reply.status === 201)).toHaveLength(20);
      for (const reply of replies.filter((r) => r.status !== 201)) {
        expectLimitRefusal(reply, 'maxBalance');
        expect(reply.body.detail).toContain('maxBalance does not reset');
      }
      expect((await wallet(target)).balance).toBe(1_000);
      const transfersIn = replies.filter((reply, i) => i % 2 === 1 && reply.status === 201).length;
      expect((await wallet(source)).balance).toBe(100_000 - 50 * transfersIn);
      // money out still leaves, and makes room again
      expect((await withdraw(target, 30)).status).toBe(201);
      expect((await deposit(target, 30)).status).toBe(201);
      expectLimitRefusal(await deposit(target, 1), 'maxBalance');
    });
  });

  describe('UTC days and months', () => {
    it('a new day starts the daily usage at zero and a new month the monthly one, without any job; the refusal says when', async () => {
      clock.set(new Date('2031-04-29T23:59:00.000Z'));
      const w = await fundedWallet(t.http, 10_000, { limits: { dailyDebit: 100, monthlyDebit: 250 } });
      expect((await withdraw(w, 100)).status).toBe(201);
      expectLimitRefusal(await withdraw(w, 1), 'dailyDebit', '2031-04-30T00:00:00.000Z');

      clock.set(new Date('2031-04-30T00:00:00.000Z'));
      expect((await wallet(w)).limitUsage).toEqual({
        dailyDebit: { used: 0, remaining: 100, resetsAt: '2031-05-01T00:00:00.000Z' },
        monthlyDebit: { used: 100, remaining: 150, resetsAt: '2031-05-01T00:00:00.000Z' },
      });
      // nothing was written at midnight: the stored figures still belong to the 29th until the next debit
      expect(await stored(w)).toEqual({ period: '2031-04-29', day: 100, month: 100 });
      const aprilHold = (await hold(w, 100).expect(201)).body.id;
      expect(await stored(w)).toEqual({ period: '2031-04-30', day: 100, month: 200 });
      expect((await withdraw(w, 50)).status).toBe(422);
      clock.set(new Date('2031-04-30T23:59:59.999Z'));
      expectLimitRefusal(await withdraw(w, 1), 'dailyDebit', '2031-05-01T00:00:00.000Z');

      clock.set(new Date('2031-05-01T00:00:00.000Z'));
      expect((await wallet(w)).limitUsage).toEqual({
        dailyDebit: { used: 0, remaining: 100, resetsAt: '2031-05-02T00:00:00.000Z' },
        monthlyDebit: { used: 0, remaining: 250, resetsAt: '2031-06-01T00:00:00.000Z' },
      });
      // the April hold ends in May: April's usage is over, so it gives nothing back to May's (never below zero)
      expect((await post(`/v1/holds/${aprilHold}/void`, {})).status).toBe(200);
      expect((await wallet(w)).limitUsage.monthlyDebit.used).toBe(0);
      expect((await withdraw(w, 100)).status).toBe(201);
      expect(await stored(w)).toEqual({ period: '2031-05-01', day: 100, month: 100 });

      // a hold placed on the 2nd and voided on the 3rd gives back to the month only: the 2nd is over
      clock.set(new Date('2031-05-02T10:00:00.000Z'));
      const mayHold = (await hold(w, 50).expect(201)).body.id;
      expect(await stored(w)).toEqual({ period: '2031-05-02', day: 50, month: 150 });
      clock.set(new Date('2031-05-03T10:00:00.000Z'));
      expect((await post(`/v1/holds/${mayHold}/void`, {})).status).toBe(200);
      expect(await stored(w)).toEqual({ period: '2031-05-02', day: 0, month: 100 });
      expect((await wallet(w)).limitUsage).toMatchObject({ dailyDebit: { used: 0 }, monthlyDebit: { used: 100 } });
      expect((await withdraw(w, 100)).status).toBe(201);
      expect(await stored(w)).toEqual({ period: '2031-05-03', day: 100, month: 200 });
      clock.set(new Date('2031-05-04T10:00:00.000Z'));
      expect((await withdraw(w, 50)).status).toBe(201);
      expectLimitRefusal(await withdraw(w, 1), 'monthlyDebit', '2031-06-01T00:00:00.000Z');
      expect(await stored(w)).toEqual({ period: '2031-05-04', day: 50, month: 250 });
    });

    it('a move that read the clock before midnight but got the lock after one that read it after counts in the later day', async () => {
      clock.set(new Date('2031-06-10T12:00:00.000Z'));
      const w = await fundedWallet(t.http, 1_000, { limits: { dailyDebit: 100 } });
      expect((await withdraw(w, 30)).status).toBe(201);
      // the stored period moves on to the 11th, then a move stamped on the 10th arrives
      clock.set(new Date('2031-06-11T00:00:00.000Z'));
      expect((await withdraw(w, 80)).status).toBe(201);
      clock.set(new Date('2031-06-10T23:59:59.999Z'));
      expectLimitRefusal(await withdraw(w, 30), 'dailyDebit', '2031-06-12T00:00:00.000Z');
      expect((await withdraw(w, 20)).status).toBe(201);
      expect(await stored(w)).toEqual({ period: '2031-06-11', day: 100, month: 130 });
    });
  });

  describe('changing limits', () => {
    beforeAll(() => clock.set(new Date('2031-07-15T08:00:00.000Z')));

    it('usage counts without a limit; lowering a limit below it moves nothing and refuses later debits; null removes one', async () => {
      const w = await fundedWallet(t.http, 1_000);
      expect((await withdraw(w, 300)).status).toBe(201);
      expect((await wallet(w)).limitUsage.dailyDebit).toEqual({ used: 300, resetsAt: '2031-07-16T00:00:00.000Z' });

      const lowered = await patch(w, { limits: { dailyDebit: 200 } });
      expect(lowered.status).toBe(200);
      expect(lowered.body).toMatchObject({ balance: 700, limits: { dailyDebit: 200 } });
      expect(lowered.body.limitUsage.dailyDebit).toEqual({ used: 300, remaining: 0, resetsAt: '2031-07-16T00:00:00.000Z' });
      expectLimitRefusal(await withdraw(w, 1), 'dailyDebit', '2031-07-16T00:00:00.000Z');
      expectLimitRefusal(await hold(w, 1), 'dailyDebit');
      expect((await deposit(w, 10)).status).toBe(201); // money in is not a debit

      // a PATCH changes only the limits it names
      expect((await patch(w, { limits: { maxBalance: 800 } })).body.limits).toEqual({ dailyDebit: 200, maxBalance: 800 });
      const removed = await patch(w, { limits: { dailyDebit: null } });
      expect(removed.body.limits).toEqual({ maxBalance: 800 });
      expect((await withdraw(w, 10)).status).toBe(201);
      expectLimitRefusal(await deposit(w, 101), 'maxBalance');
      // a maxBalance below the balance refuses money in, never money out
      expect((await patch(w, { limits: { maxBalance: 100 } })).status).toBe(200);
      expect((await withdraw(w, 10)).status).toBe(201);
      expectLimitRefusal(await deposit(w, 1), 'maxBalance');
      expect((await patch(w, { status: 'frozen' })).body.limits).toEqual({ maxBalance: 100 });
      expect((await wallet(w)).balance).toBe(690);
    });

    it('a refused move commits with its Idempotency-Key: the retry gets the same refusal even after the limit is raised', async () => {
      const w = await fundedWallet(t.http, 1_000, { limits: { dailyDebit: 50 } });
      const first = await withdraw(w, 60, 'limited-1');
      expectLimitRefusal(first, 'dailyDebit');
      await patch(w, { limits: { dailyDebit: 100 } }).expect(200);
      const again = await withdraw(w, 60, 'limited-1');
      expect({ status: again.status, body: again.body }).toEqual({ status: first.status, body: first.body });
      expect((await withdraw(w, 60, 'limited-2')).status).toBe(201);
    });
  });

  describe('refunds and batches', () => {
    beforeAll(() => clock.set(new Date('2031-08-20T08:00:00.000Z')));

    it('a refund that takes money out of a wallet counts against its debit limits; one that brings money in, against its maxBalance', async () => {
      const buyer = await fundedWallet(t.http, 1_000, { limits: { maxBalance: 1_000 } });
      const merchant = await newWallet(t.http, { limits: { dailyDebit: 100 } });
      const sale = (await transfer(buyer, merchant, 500).expect(201)).body.id;
      expect((await withdraw(merchant, 100)).status).toBe(201);
      expectLimitRefusal(await post(`/v1/transactions/${sale}/refunds`, { amount: 50 }), 'dailyDebit', '2031-08-21T00:00:00.000Z');
      clock.set(new Date('2031-08-21T08:00:00.000Z'));
      expect((await post(`/v1/transactions/${sale}/refunds`, { amount: 50 })).status).toBe(201);
      expect((await wallet(merchant)).limitUsage.dailyDebit.used).toBe(50);
      // the buyer is back at 550; 500 more would take it past its maxBalance of 1000
      await deposit(buyer, 450).expect(201);
      expectLimitRefusal(await post(`/v1/transactions/${sale}/refunds`, { amount: 1 }), 'maxBalance');
      expect((await t.http.get(`/v1/transactions/${sale}`).set(AUTH).expect(200)).body.refundedAmount).toBe(50);
    });

    it('a batch counts its operations in order; one over a limit refuses the batch, naming it, and nothing is applied', async () => {
      const w = await fundedWallet(t.http, 1_000, { limits: { dailyDebit: 100 } });
      const refused = await post('/v1/batches', {
        operations: [
          { type: 'withdrawal', walletId: w, amount: 60 },
          { type: 'hold', walletId: w, amount: 30 },
          { type: 'withdrawal', walletId: w, amount: 20 },
        ],
      });
      expectLimitRefusal(refused, 'dailyDebit');
      expect(refused.body.detail).toMatch(/^operations\[2\]: /);
      expect(await wallet(w)).toMatchObject({ balance: 1_000, held: 0, limitUsage: { dailyDebit: { used: 0 } } });
      const fits = await post('/v1/batches', {
        operations: [
          { type: 'withdrawal', walletId: w, amount: 60 },
          { type: 'hold', walletId: w, amount: 40 },
        ],
      });
      expect(fits.status).toBe(201);
      expect((await wallet(w)).limitUsage.dailyDebit).toMatchObject({ used: 100, remaining: 0 });
    });
  });

  describe('validation', () => {
    it.each([
      ['0', { dailyDebit: 0 }, 'limits.dailyDebit'],
      ['a negative limit', { monthlyDebit: -5 }, 'limits.monthlyDebit'],
      ['a fraction', { maxBalance: 10.5 }, 'limits.maxBalance'],
      ['a string', { dailyDebit: '100' }, 'limits.dailyDebit'],
      ['2^53', { dailyDebit: MAX + 1 }, 'limits.dailyDebit'],
      ['an unknown limit', { weeklyDebit: 100 }, 'limits.weeklyDebit'],
      ['null limits', null, 'limits'],
      ['an array', [100], 'limits'],
      ['a number', 100, 'limits'],
    ])('%s is refused with 400 on create and on PATCH, and changes nothing', async (_, limits, field) => {
      expectProblem(await post('/v1/wallets', { ownerId: `limits-${Math.random()}`, currency: 'EUR', limits }), 400, 'VALIDATION_FAILED', field);
      const w = await newWallet(t.http, { limits: { dailyDebit: 7 } });
      expectProblem(await patch(w, { limits }), 400, 'VALIDATION_FAILED', field);
      expect((await wallet(w)).limits).toEqual({ dailyDebit: 7 });
    });

    it('accepts 1 and 2^53 − 1, and null on create as no limit', async () => {
      const created = await post('/v1/wallets', {
        ownerId: `limits-edges-${Math.random()}`, currency: 'EUR', limits: { dailyDebit: 1, monthlyDebit: MAX, maxBalance: null },
      });
      expect(created.status).toBe(201);
      expect(created.body.limits).toEqual({ dailyDebit: 1, monthlyDebit: MAX });
    });

    it('without a limit, a day of debits is still bounded by 2^53 − 1: the next debit is refused, never a 500', async () => {
      const w = await fundedWallet(t.http, MAX);
      expect((await withdraw(w, MAX)).status).toBe(201);
      expect((await deposit(w, 5)).status).toBe(201);
      const refused = await withdraw(w, 1);
      expectLimitRefusal(refused, 'dailyDebit');
      expect(refused.body.detail).toContain('the largest amount the service keeps');
      expect(await stored(w)).toMatchObject({ day: MAX, month: MAX });
    });

    it('the database refuses a limit below 1 and usage below zero or beyond the month, whoever writes it', async () => {
      const w = await newWallet(t.http);
      for (const change of ['limit_daily_debit = 0', 'limit_max_balance = -1', 'debit_day_used = -1', 'debit_day_used = 5, debit_month_used = 4']) {
        await expect(t.db.pool.query(`UPDATE wallets SET ${change}, debit_period = '2031-01-01' WHERE id = $1`, [w])).rejects.toMatchObject({ code: '23514' });
      }
      await expect(t.db.pool.query(`UPDATE wallets SET last_entry_hash = '\\x00' WHERE id = $1`, [w])).rejects.toMatchObject({ code: '23514' });
    });
  });
});

/**
 * The same limits when moves go out together (group posting): a group is forced without timing as in
 * group-posting.spec.ts — the only posting slot (POSTING_MAX_IN_FLIGHT=1) is taken by a deposit waiting for a row
 * lock an outside connection holds, the moves under test queue in the poster in a known order, and when the lock
 * is released they go out as one post_group statement. A group of deposits, withdrawals and transfers is decided
 * in memory and written set-based (post_movements_together), keeping each wallet's usage there exactly as its
 * balance; a group with a hold in it posts each move through its own entry point.
 */
describe('money controls: limits in a group', () => {
  let t: TestApp;
  let clock: ManualClock;

  beforeAll(async () => {
    t = await startTestApp({
      POSTING_MAX_IN_FLIGHT: '1', DB_LOCK_TIMEOUT_MS: '20000', DB_STATEMENT_TIMEOUT_MS: '30000', REQUEST_TIMEOUT_MS: '40000', HOLD_SWEEP_INTERVAL_MS: '0',
    });
    // one fixed moment: no test here may straddle a UTC midnight
    clock = manualClock(t.app, new Date('2031-09-09T09:00:00.000Z'));
    // every UPDATE of a wallet row, by the transaction that wrote it: how many row versions a group made
    await t.db.pool.query(`
      CREATE TABLE spec_wallet_writes (wallet_id uuid, xid xid8 DEFAULT pg_current_xact_id());
      CREATE FUNCTION spec_count_wallet_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO spec_wallet_writes (wallet_id) VALUES (NEW.id); RETURN NEW; END $$;
      CREATE TRIGGER spec_wallet_writes AFTER UPDATE ON wallets FOR EACH ROW EXECUTE FUNCTION spec_count_wallet_write();`);
  });
  afterAll(async () => {
    clock.restore();
    await t.close();
  });
  afterEach(async () => {
    await releaseWalletLocks();
    await expectLedgerInvariants(t.db.pool);
  });

  const writesOf = async (walletId: string) =>
    Number((await t.db.pool.query('SELECT count(*) FROM spec_wallet_writes WHERE wallet_id = $1', [walletId])).rows[0].count);

  /** Holds the only posting slot until `free()`: a deposit into a fresh wallet waits for that wallet's row lock. */
  async function occupySlot() {
    const walletId = await newWallet(t.http);
    const lock = await lockWallet(t.db.pool, walletId);
    const before = (await serviceLockWaits(t.db.pool)).length;
    const blocker = t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).send({ amount: 1 }).then((reply) => reply);
    await eventually('the blocking deposit waits for its lock', async () => (await serviceLockWaits(t.db.pool)).length === before + 1);
    return {
      async free(): Promise<Response> {
        await lock.release('COMMIT');
        return blocker;
      },
    };
  }

  /** Sends each request once the one before it is in the poster's queue, so the group holds them in this order. */
  async function queueInOrder(sends: (() => PromiseLike<Response>)[]): Promise<Promise<Response>[]> {
    const base = queuedMoves(t.app);
    const pending: Promise<Response>[] = [];
    for (const send of sends) {
      const reply = Promise.resolve(send().then((r) => r));
      reply.catch(() => undefined);
      pending.push(reply);
      await eventually(`request ${pending.length} is queued`, () => queuedMoves(t.app) === base + pending.length);
    }
    return pending;
  }

  const move = (path: string, body: object) => () => t.http.post(path).set(AUTH).send(body);

  it('withdrawals and transfers set-based: each checked against the limit the ones before it left, one row version per wallet', async () => {
    const payer = await fundedWallet(t.http, 10_000, { limits: { dailyDebit: 100 } });
    const payee = await newWallet(t.http, { limits: { maxBalance: 50 } });
    const writesBefore = { payer: await writesOf(payer), payee: await writesOf(payee) };
    const slot = await occupySlot();
    const replies = await queueInOrder([
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 30 }),
      move('/v1/transfers', { fromWalletId: payer, toWalletId: payee, amount: 30 }),
      move('/v1/transfers', { fromWalletId: payer, toWalletId: payee, amount: 30 }), // payee would hold 60
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 30 }),
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 30 }), // 120 today
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 10 }),
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 1 }),
      move(`/v1/wallets/${payee}/deposits`, { amount: 20 }),
      move(`/v1/wallets/${payee}/deposits`, { amount: 1 }),
    ]);
    expect((await slot.free()).status).toBe(201);
    const answers = await Promise.all(replies);
    expect(answers.map((reply) => reply.status)).toEqual([201, 201, 422, 201, 422, 201, 422, 201, 422]);
    for (const i of [2, 8]) expect(answers[i]!.body).toMatchObject({ code: 'LIMIT_EXCEEDED', detail: expect.stringContaining('maxBalance') });
    for (const i of [4, 6]) expect(answers[i]!.body).toMatchObject({ code: 'LIMIT_EXCEEDED', detail: expect.stringContaining('dailyDebit') });
    // one database transaction, and one UPDATE of each wallet for the whole group
    const writers = await writersOf(t.db.pool, [0, 1, 3, 5, 7].map((i) => answers[i]!.body.id));
    expect(new Set(writers.values()).size).toBe(1);
    expect({ payer: (await writesOf(payer)) - writesBefore.payer, payee: (await writesOf(payee)) - writesBefore.payee }).toEqual({ payer: 1, payee: 1 });
    const shown = (await t.http.get(`/v1/wallets/${payer}`).set(AUTH).expect(200)).body;
    expect({ balance: shown.balance, used: shown.limitUsage.dailyDebit.used }).toEqual({ balance: 10_000 - 100, used: 100 });
    expect((await t.http.get(`/v1/wallets/${payee}`).set(AUTH).expect(200)).body.balance).toBe(50);
  });

  it('a group with a hold in it posts move by move, each against the usage the one before it left', async () => {
    const payer = await fundedWallet(t.http, 10_000, { limits: { monthlyDebit: 100 } });
    const slot = await occupySlot();
    const replies = await queueInOrder([
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 40 }),
      move('/v1/holds', { walletId: payer, amount: 40 }),
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 40 }),
      move(`/v1/wallets/${payer}/withdrawals`, { amount: 20 }),
    ]);
    expect((await slot.free()).status).toBe(201);
    const answers = await Promise.all(replies);
    expect(answers.map((reply) => reply.status)).toEqual([201, 201, 422, 201]);
    expect(answers[2]!.body).toMatchObject({ code: 'LIMIT_EXCEEDED', detail: expect.stringContaining('monthlyDebit') });
    const shown = (await t.http.get(`/v1/wallets/${payer}`).set(AUTH).expect(200)).body;
    expect({ balance: shown.balance, held: shown.held, used: shown.limitUsage.monthlyDebit.used }).toEqual({ balance: 10_000 - 60, held: 40, used: 100 });
  });

  it('many concurrent moves on one limited wallet, grouped however they arrive, never pass the limit', async () => {
    const payer = await fundedWallet(t.http, 100_000, { limits: { dailyDebit: 1_000 } });
    const payees = await Promise.all(Array.from({ length: 3 }, () => newWallet(t.http)));
    const replies = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        i % 3 === 0
          ? t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 25 })
          : t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: payer, toWalletId: payees[i % 3]!, amount: 25 }),
      ),
    );
    expect(replies.filter((reply) => reply.status === 201)).toHaveLength(40);
    for (const reply of replies.filter((r) => r.status !== 201)) expect(reply.body.code).toBe('LIMIT_EXCEEDED');
    expect((await t.http.get(`/v1/wallets/${payer}`).set(AUTH).expect(200)).body).toMatchObject({ balance: 99_000, limitUsage: { dailyDebit: { used: 1_000 } } });
  });
});
