import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { HoldsSweeper } from '../../src/ledger/holds/holds.sweeper.js';
import { ManualClock, manualClock } from '../support/manual-clock.js';
import { AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';

/**
 * Holds, captures, refunds and batches under real concurrency: many requests in flight at once through
 * the real HTTP stack on a pool of 10 connections, against real PostgreSQL. Nothing here is timed;
 * every assertion is about money, and after every test the ledger's invariants are checked with SQL.
 */

type Body = Record<string, any>;

const statusesOf = (replies: Response[]) => replies.map((r) => r.status);
const count = (replies: Response[], status: number) => replies.filter((r) => r.status === status).length;

describe('holds, captures, refunds and batches under concurrency', () => {
  let t: TestApp;
  let clock: ManualClock | undefined;

  beforeAll(async () => {
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
  });
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await expectLedgerInvariants(t.db.pool);
  });
  afterAll(() => t.close());

  const owner = (label: string) => `${label}-${randomUUID()}`;
  async function wallet(id: string): Promise<Body> {
    const res = await t.http.get(`/v1/wallets/${id}`).set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body.available).toBe(res.body.balance - res.body.held);
    return res.body;
  }
  async function placeHold(walletId: string, amount: number, extra: Body = {}): Promise<Body> {
    const res = await t.http.post('/v1/holds').set(AUTH).send({ walletId, amount, ...extra });
    expect(res.status).toBe(201);
    return res.body;
  }
  const capture = (holdId: string, body: Body = {}) => t.http.post(`/v1/holds/${holdId}/capture`).set(AUTH).send(body);
  const voidHold = (holdId: string) => t.http.post(`/v1/holds/${holdId}/void`).set(AUTH);
  const holdRow = async (holdId: string) => (await t.db.pool.query('SELECT status, captured_amount::int AS captured FROM holds WHERE id = $1', [holdId])).rows[0];

  it.each([1, 2, 3])('20 concurrent captures of one hold: exactly one 201, the other 19 are 409 HOLD_NOT_ACTIVE (round %i)', async (round) => {
    const buyer = await fundedWallet(t.http, owner(`cap-buyer-${round}`), 1_000);
    const seller = await fundedWallet(t.http, owner(`cap-seller-${round}`), 0);
    const hold = await placeHold(buyer, 600);
    const amounts = Array.from({ length: 20 }, (_, i) => 100 + i * 10);
    const replies = await Promise.all(
      amounts.map((amount, i) => capture(hold.id, i % 2 === 0 ? { amount, toWalletId: seller } : { amount })),
    );
    expect(count(replies, 201)).toBe(1);
    expect(count(replies, 409)).toBe(19);
    for (const reply of replies.filter((r) => r.status === 409)) expect(reply.body.code).toBe('HOLD_NOT_ACTIVE');
    const winner = replies.find((r) => r.status === 201)!.body;
    expect(winner).toMatchObject({ type: 'capture', holdId: hold.id, fromWalletId: buyer });
    expect(await holdRow(hold.id)).toEqual({ status: 'captured', captured: winner.amount });
    expect(await wallet(buyer)).toMatchObject({ balance: 1_000 - winner.amount, held: 0, available: 1_000 - winner.amount });
    expect((await wallet(seller)).balance).toBe(winner.toWalletId === seller ? winner.amount : 0);
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM transactions WHERE hold_id = $1', [hold.id]);
    expect(rows[0].n).toBe(1);
  });

  it('20 captures of one hold with the same Idempotency-Key at once: one capture, 20 identical answers', async () => {
    const buyer = await fundedWallet(t.http, owner('idem-cap'), 1_000);
    const hold = await placeHold(buyer, 400);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => capture(hold.id, { amount: 300 }).set('Idempotency-Key', `cap-${hold.id}`)),
    );
    expect(statusesOf(replies)).toEqual(Array(20).fill(201));
    expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(replies.filter((r) => r.headers['idempotency-replayed'] === 'true')).toHaveLength(19);
    expect(await wallet(buyer)).toMatchObject({ balance: 700, held: 0 });
  });

  it.each([1, 2, 3, 4, 5])('captures and voids of one hold fired together: exactly one of them wins (round %i)', async (round) => {
    const buyer = await fundedWallet(t.http, owner(`cv-${round}`), 1_000);
    const hold = await placeHold(buyer, 500);
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === (round % 2) ? capture(hold.id, { amount: 200 }) : voidHold(hold.id))));
    const captured = count(replies, 201);
    const voided = count(replies, 200);
    expect(captured + voided).toBe(1);
    expect(count(replies, 409)).toBe(9);
    for (const reply of replies.filter((r) => r.status === 409)) expect(reply.body.code).toBe('HOLD_NOT_ACTIVE');
    const row = await holdRow(hold.id);
    if (captured === 1) {
      expect(row).toEqual({ status: 'captured', captured: 200 });
      expect(await wallet(buyer)).toMatchObject({ balance: 800, held: 0 });
    } else {
      expect(row).toEqual({ status: 'voided', captured: 0 });
      expect(await wallet(buyer)).toMatchObject({ balance: 1_000, held: 0 });
    }
  });

  it('30 concurrent partial refunds of one transfer asking for more than it: the successes fit, refundedAmount is their sum', async () => {
    const payer = await fundedWallet(t.http, owner('rf-payer'), 5_000);
    const receiver = await fundedWallet(t.http, owner('rf-receiver'), 0);
    const original = (await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: payer, toWalletId: receiver, amount: 1_000 }).expect(201)).body;
    const amounts = Array.from({ length: 30 }, (_, i) => 20 + ((i * 37) % 61));
    expect(amounts.reduce((a, b) => a + b, 0)).toBeGreaterThan(1_000);
    const replies = await Promise.all(
      amounts.map((amount) => t.http.post(`/v1/transactions/${original.id}/refunds`).set(AUTH).send({ amount })),
    );
    const succeeded = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status !== 201);
    for (const reply of refused) {
      expect(reply.status).toBe(422);
      expect(reply.body.code).toBe('AMOUNT_EXCEEDS_REFUNDABLE');
    }
    const refunded = succeeded.reduce((sum, r) => sum + r.body.amount, 0);
    expect(refunded).toBeLessThanOrEqual(1_000);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    // a refusal saw less left than it asked for, and what is left only shrank afterwards
    const left = 1_000 - refunded;
    for (const reply of refused) expect(amounts[replies.indexOf(reply)]).toBeGreaterThan(left);
    for (const reply of succeeded) expect(reply.body).toMatchObject({ type: 'refund', refundOf: original.id, fromWalletId: receiver, toWalletId: payer });
    expect((await t.http.get(`/v1/transactions/${original.id}`).set(AUTH).expect(200)).body.refundedAmount).toBe(refunded);
    expect(await wallet(receiver)).toMatchObject({ balance: left });
    expect(await wallet(payer)).toMatchObject({ balance: 4_000 + refunded });
  });

  it('30 concurrent refunds of 50 from a transfer of 1000: exactly 20 succeed', async () => {
    const payer = await fundedWallet(t.http, owner('rf50-payer'), 1_000);
    const receiver = await fundedWallet(t.http, owner('rf50-receiver'), 0);
    const original = (await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: payer, toWalletId: receiver, amount: 1_000 }).expect(201)).body;
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => t.http.post(`/v1/transactions/${original.id}/refunds`).set(AUTH).send({ amount: 50 })),
    );
    expect(count(replies, 201)).toBe(20);
    expect(count(replies, 422)).toBe(10);
    expect((await t.http.get(`/v1/transactions/${original.id}`).set(AUTH).expect(200)).body.refundedAmount).toBe(1_000);
    expect(await wallet(receiver)).toMatchObject({ balance: 0 });
    expect(await wallet(payer)).toMatchObject({ balance: 1_000 });
  });

  it('40 concurrent holds on one wallet never reserve more than is available', async () => {
    const walletId = await fundedWallet(t.http, owner('many-holds'), 1_000);
    const replies = await Promise.all(Array.from({ length: 40 }, () => t.http.post('/v1/holds').set(AUTH).send({ walletId, amount: 30 })));
    expect(count(replies, 201)).toBe(33);
    expect(count(replies, 422)).toBe(7);
    for (const reply of replies.filter((r) => r.status === 422)) expect(reply.body.code).toBe('INSUFFICIENT_FUNDS');
    expect(await wallet(walletId)).toMatchObject({ balance: 1_000, held: 990, available: 10 });
  });

  it('holds, withdrawals and transfers racing on one wallet never take available below zero, and refuse only what did not fit', async () => {
    const walletId = await fundedWallet(t.http, owner('race-mix'), 2_000);
    const sink = await fundedWallet(t.http, owner('race-sink'), 0);
    const amounts = Array.from({ length: 45 }, (_, i) => 30 + ((i * 53) % 90));
    const replies = await Promise.all(
      amounts.map((amount, i) => {
        switch (i % 3) {
          case 0:
            return t.http.post('/v1/holds').set(AUTH).send({ walletId, amount });
          case 1:
            return t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount });
          default:
            return t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: walletId, toWalletId: sink, amount });
        }
      }),
    );
    for (const reply of replies) {
      if (reply.status !== 201) expect({ status: reply.status, code: reply.body.code }).toEqual({ status: 422, code: 'INSUFFICIENT_FUNDS' });
    }
    const spent = amounts.filter((_, i) => replies[i].status === 201 && i % 3 !== 0).reduce((a, b) => a + b, 0);
    const held = amounts.filter((_, i) => replies[i].status === 201 && i % 3 === 0).reduce((a, b) => a + b, 0);
    const after = await wallet(walletId);
    expect(after).toMatchObject({ balance: 2_000 - spent, held });
    expect(after.available).toBeGreaterThanOrEqual(0);
    for (const [i, reply] of replies.entries()) if (reply.status === 422) expect(amounts[i]).toBeGreaterThan(after.available);
  });

  it('captures of many holds on one wallet to several sellers and to revenue, at once: all succeed', async () => {
    const buyer = await fundedWallet(t.http, owner('fan-buyer'), 10_000);
    const sellers = await Promise.all(Array.from({ length: 6 }, (_, i) => fundedWallet(t.http, owner(`fan-seller-${i}`), 0)));
    const holds: Body[] = [];
    for (let i = 0; i < 24; i++) holds.push(await placeHold(buyer, 100 + i));
    const replies = await Promise.all(holds.map((hold, i) => capture(hold.id, i % 7 === 6 ? {} : { toWalletId: sellers[i % 6], amount: 50 + i })));
    expect(statusesOf(replies)).toEqual(Array(24).fill(201));
    const total = replies.reduce((sum, r) => sum + r.body.amount, 0);
    expect(await wallet(buyer)).toMatchObject({ balance: 10_000 - total, held: 0, available: 10_000 - total });
    const toSellers = (await Promise.all(sellers.map(wallet))).reduce((sum, w) => sum + w.balance, 0);
    expect(toSellers).toBe(replies.filter((r) => r.body.toWalletId).reduce((sum, r) => sum + r.body.amount, 0));
  });

  it('captures buyer → seller and refunds seller → buyer between the same wallets at once: all succeed, no deadlock', async () => {
    const buyer = await fundedWallet(t.http, owner('x-buyer'), 10_000);
    const seller = await fundedWallet(t.http, owner('x-seller'), 5_000);
    const earlier: Body[] = [];
    for (let i = 0; i < 15; i++) earlier.push((await capture((await placeHold(buyer, 100)).id, { toWalletId: seller }).expect(201)).body);
    const fresh: Body[] = [];
    for (let i = 0; i < 15; i++) fresh.push(await placeHold(buyer, 200));
    const replies = await Promise.all([
      ...fresh.map((hold) => capture(hold.id, { toWalletId: seller })),
      ...earlier.map((tx) => t.http.post(`/v1/transactions/${tx.id}/refunds`).set(AUTH).send({ amount: 60 })),
      ...Array.from({ length: 10 }, (_, i) =>
        t.http.post('/v1/transfers').set(AUTH).send(i % 2 ? { fromWalletId: buyer, toWalletId: seller, amount: 5 } : { fromWalletId: seller, toWalletId: buyer, amount: 5 }),
      ),
    ]);
    expect(statusesOf(replies)).toEqual(Array(40).fill(201));
    // buyer: 10_000 − 15·100 − 15·200 + 15·60 (transfers cancel out)
    expect(await wallet(buyer)).toMatchObject({ balance: 10_000 - 1_500 - 3_000 + 900, held: 0 });
    expect(await wallet(seller)).toMatchObject({ balance: 5_000 + 1_500 + 3_000 - 900 });
  });

  it('concurrent batches moving money in opposite directions between the same wallets all succeed, with totals conserved', async () => {
    const [a, b, c] = await Promise.all(['ba', 'bb', 'bc'].map((label) => fundedWallet(t.http, owner(label), 100_000)));
    const expected = new Map([[a, 100_000], [b, 100_000], [c, 100_000]]);
    const batches = Array.from({ length: 40 }, (_, i) => {
      const [x, y, z] = i % 2 === 0 ? [a, b, c] : [c, b, a];
      const ops: Body[] = [
        { type: 'transfer', fromWalletId: x, toWalletId: y, amount: 10 + i },
        { type: 'transfer', fromWalletId: y, toWalletId: z, amount: 7 + i },
        { type: 'transfer', fromWalletId: z, toWalletId: x, amount: 3 + i },
        { type: 'deposit', walletId: y, amount: 1 },
        { type: 'withdrawal', walletId: z, amount: 1 },
      ];
      for (const op of ops) {
        if (op.type === 'transfer') {
          expected.set(op.fromWalletId, expected.get(op.fromWalletId)! - op.amount);
          expected.set(op.toWalletId, expected.get(op.toWalletId)! + op.amount);
        } else if (op.type === 'deposit') {
          expected.set(op.walletId, expected.get(op.walletId)! + op.amount);
        } else {
          expected.set(op.walletId, expected.get(op.walletId)! - op.amount);
        }
      }
      return ops;
    });
    const replies = await Promise.all(batches.map((operations) => t.http.post('/v1/batches').set(AUTH).send({ operations })));
    expect(statusesOf(replies)).toEqual(Array(40).fill(201));
    for (const id of [a, b, c]) expect((await wallet(id)).balance).toBe(expected.get(id));
    const total = (await Promise.all([a, b, c].map(wallet))).reduce((sum, w) => sum + w.balance, 0);
    expect(total).toBe(300_000);
  });

  it('batches with holds and captures racing single captures and voids of the same holds: each hold ends once', async () => {
    const buyer = await fundedWallet(t.http, owner('bh-buyer'), 10_000);
    const seller = await fundedWallet(t.http, owner('bh-seller'), 0);
    const holds: Body[] = [];
    for (let i = 0; i < 10; i++) holds.push(await placeHold(buyer, 300));
    const replies = await Promise.all([
      ...holds.map((hold, i) =>
        t.http.post('/v1/batches').set(AUTH).send({
          operations: [
            { type: 'capture', holdId: hold.id, toWalletId: seller, amount: 100 },
            { type: 'hold', walletId: seller, amount: 50 },
            { type: 'transfer', fromWalletId: i % 2 ? buyer : seller, toWalletId: i % 2 ? seller : buyer, amount: 1 },
          ],
        }),
      ),
      ...holds.map((hold, i) => (i % 2 ? voidHold(hold.id) : capture(hold.id, { amount: 200 }))),
    ]);
    for (const reply of replies) {
      if (reply.status >= 400) expect({ status: reply.status, code: reply.body.code }).toEqual({ status: 409, code: 'HOLD_NOT_ACTIVE' });
    }
    // per hold: exactly one of its batch and its single capture or void went through
    let batchesWon = 0;
    for (let i = 0; i < holds.length; i++) {
      const batchWon = replies[i].status === 201;
      const singleWon = replies[holds.length + i].status === (i % 2 ? 200 : 201);
      expect({ hold: i, batchWon, singleWon: !singleWon }).toEqual({ hold: i, batchWon, singleWon: batchWon });
      const status = (await holdRow(holds[i].id)).status;
      expect(status).toBe(batchWon || i % 2 === 0 ? 'captured' : 'voided');
      if (batchWon) batchesWon += 1;
    }
    expect((await wallet(seller)).held).toBe(50 * batchesWon);
    expect((await wallet(buyer)).held).toBe(0);
  });

  it('the sweeper racing captures and voids of due and not-yet-due holds: no hold is both captured and expired', async () => {
    clock = manualClock(t.app, new Date(Date.UTC(2060, 2, 1)));
    const sweeper = t.app.get(HoldsSweeper);
    await sweeper.sweep(); // whatever other tests left due by this moment
    const buyers = await Promise.all(Array.from({ length: 4 }, (_, i) => fundedWallet(t.http, owner(`sw-buyer-${i}`), 10_000)));
    const seller = await fundedWallet(t.http, owner('sw-seller'), 0);
    const due: Body[] = [];
    const notDue: Body[] = [];
    for (const buyer of buyers) {
      for (let i = 0; i < 4; i++) {
        due.push(await placeHold(buyer, 100 + i, { expiresInSeconds: 60 }));
        notDue.push(await placeHold(buyer, 200 + i, { expiresInSeconds: 61 }));
      }
    }
    clock.advance(60_000);

    const sweeps: Promise<number>[] = [];
    const requests: Promise<Response>[] = [];
    const all = [...due, ...notDue];
    all.forEach((hold, i) => {
      if (i % 4 === 0) sweeps.push(sweeper.sweep());
      requests.push(Promise.resolve(capture(hold.id, i % 2 ? { toWalletId: seller } : { amount: 50 })));
      requests.push(Promise.resolve(voidHold(hold.id)));
    });
    const [replies, swept] = await Promise.all([Promise.all(requests), Promise.all(sweeps)]);

    const outcome = (i: number) => ({ captured: replies[2 * i].status === 201, voided: replies[2 * i + 1].status === 200 });
    for (const reply of replies) {
      if (reply.status >= 400) expect({ status: reply.status, code: reply.body.code }).toEqual({ status: 409, code: 'HOLD_NOT_ACTIVE' });
    }
    let capturedTotal = 0;
    for (const [i, hold] of all.entries()) {
      const row = await holdRow(hold.id);
      const { captured, voided } = outcome(i);
      if (i < due.length) {
        expect({ hold: hold.id, captured, voided, status: row.status }).toEqual({ hold: hold.id, captured: false, voided: false, status: 'expired' });
      } else {
        expect(Number(captured) + Number(voided)).toBe(1);
        expect(row.status).toBe(captured ? 'captured' : 'voided');
        if (captured) capturedTotal += replies[2 * i].body.amount;
      }
    }
    const sweptTotal = swept.reduce((a, b) => a + b, 0);
    expect(sweptTotal).toBeLessThanOrEqual(due.length);
    expect(await sweeper.sweep()).toBe(0);
    const { rows } = await t.db.pool.query(
      `SELECT h.id FROM holds h JOIN transactions t ON t.hold_id = h.id WHERE h.status <> 'captured' OR h.id = ANY($1)`,
      [due.map((h) => h.id)],
    );
    expect(rows).toEqual([]);
    const balances = await Promise.all(buyers.map(wallet));
    for (const w of balances) expect(w).toMatchObject({ held: 0, available: w.balance });
    expect(balances.reduce((sum, w) => sum + w.balance, 0)).toBe(40_000 - capturedTotal);
  });

  it('the sweeper does not stop while due holds on other wallets remain, just because the earliest are on a locked wallet', async () => {
    clock = manualClock(t.app, new Date(Date.UTC(2065, 0, 1)));
    const sweeper = t.app.get(HoldsSweeper);
    await sweeper.sweep();
    const busy = await fundedWallet(t.http, owner('sw-busy'), 1_000_000);
    const quiet = await fundedWallet(t.http, owner('sw-quiet'), 1_000);
    // 500 holds on the busy wallet fall due first (one sweeper batch worth), one on the quiet wallet later
    for (let n = 0; n < 5; n++) {
      const operations = Array.from({ length: 100 }, () => ({ type: 'hold', walletId: busy, amount: 1, expiresInSeconds: 10 }));
      await t.http.post('/v1/batches').set(AUTH).send({ operations }).expect(201);
    }
    const late = await placeHold(quiet, 400, { expiresInSeconds: 20 });
    clock.advance(20_000);
    expect(await wallet(quiet)).toMatchObject({ held: 0, available: 1_000 });

    const holder = await t.db.pool.connect();
    let sweptWhileLocked: number;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [busy]);
      sweptWhileLocked = await sweeper.sweep();
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const quietStored = async () => (await t.db.pool.query('SELECT held::int AS held FROM wallets WHERE id = $1', [quiet])).rows[0].held;
    const lateStatus = (await holdRow(late.id)).status;
    const quietHeld = await quietStored();
    // clean up whatever is left so the next assertions and the invariants see a swept ledger
    const rest = await sweeper.sweep();
    expect({ sweptWhileLocked, lateStatus, quietHeld }).toEqual({ sweptWhileLocked: 1, lateStatus: 'expired', quietHeld: 0 });
    expect(rest).toBe(500);
  });
});
