import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { Response } from 'supertest';
import { AUTH, fundedWallet, newWallet, OTHER_API_KEY, startTestApp, TestApp } from '../support/test-app.js';
import { expectProblem } from '../support/expect-problem.js';
import { Clock } from '../../src/common/clock/clock.js';

/** A wallet leg's chain hash (entry_hash.sql): 64 hex digits. */
const ENTRY_HASH = expect.stringMatching(/^[0-9a-f]{64}$/);

/**
 * Money movements and the ledger over HTTP against the real app: deposits, withdrawals, transfers,
 * GET /v1/transactions/{id}, a wallet's history with paging and filters, the refusals that guard money
 * (funds, overdraft, currency, same wallet, wallet status) and idempotent replays.
 */

const OTHER_AUTH = { Authorization: `Bearer ${OTHER_API_KEY}` };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRANSACTION_FIELDS = ['id', 'type', 'status', 'amount', 'currency', 'walletId', 'fromWalletId', 'toWalletId', 'holdId', 'refundOf', 'refundedAmount', 'reference', 'description', 'metadata', 'createdAt', 'entries'];

interface Entry {
  walletId?: string;
  account?: string;
  amount: number;
  balanceAfter?: number;
  hash?: string;
}


/** Checks a Transaction body against the contract; returns its entries. */
function expectTransactionShape(tx: Record<string, any>): Entry[] {
  for (const key of Object.keys(tx)) expect(TRANSACTION_FIELDS).toContain(key);
  for (const key of ['id', 'type', 'status', 'amount', 'currency', 'metadata', 'createdAt', 'entries']) expect(tx).toHaveProperty(key);
  expect(tx.id).toMatch(UUID);
  expect(['deposit', 'withdrawal', 'transfer', 'capture', 'refund']).toContain(tx.type);
  expect(typeof tx.status).toBe('string');
  expect(Number.isSafeInteger(tx.amount)).toBe(true);
  expect(tx.amount).toBeGreaterThan(0);
  expect(tx.currency).toMatch(/^[A-Z]{3}$/);
  expect(typeof tx.metadata).toBe('object');
  expect(Array.isArray(tx.metadata)).toBe(false);
  expect(Number.isNaN(Date.parse(tx.createdAt))).toBe(false);
  const entries = tx.entries as Entry[];
  expect(entries.length).toBeGreaterThanOrEqual(2);
  expect(entries.reduce((sum, entry) => sum + entry.amount, 0)).toBe(0);
  for (const entry of entries) {
    expect(Number.isSafeInteger(entry.amount)).toBe(true);
    expect(entry.amount).not.toBe(0);
    expect((entry.walletId === undefined) !== (entry.account === undefined)).toBe(true);
    if (entry.walletId !== undefined) {
      expect(Object.keys(entry).sort()).toEqual(['amount', 'balanceAfter', 'hash', 'walletId']);
      expect(Number.isSafeInteger(entry.balanceAfter)).toBe(true);
      expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    } else {
      expect(entry.balanceAfter).toBeUndefined();
    }
  }
  return entries;
}

describe('money movements (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const deposit = (id: string, body: Record<string, unknown>, headers: Record<string, string> = AUTH) =>
    t.http.post(`/v1/wallets/${id}/deposits`).set(headers).send(body);
  const withdraw = (id: string, body: Record<string, unknown>, headers: Record<string, string> = AUTH) =>
    t.http.post(`/v1/wallets/${id}/withdrawals`).set(headers).send(body);
  const transfer = (body: Record<string, unknown>, headers: Record<string, string> = AUTH) => t.http.post('/v1/transfers').set(headers).send(body);
  const history = (id: string, query: Record<string, string | number> = {}) => t.http.get(`/v1/wallets/${id}/transactions`).query(query).set(AUTH);
  async function balance(id: string): Promise<number> {
    const res = await t.http.get(`/v1/wallets/${id}`).set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body.available).toBe(res.body.balance - res.body.held);
    return res.body.balance as number;
  }

  describe('POST /v1/wallets/{id}/deposits', () => {
    it('201 Transaction: money from world:<CUR> to the wallet, with balanceAfter on the wallet entry', async () => {
      const walletId = await fundedWallet(t.http, 1000, { currency: 'USD' });
      const res = await deposit(walletId, { amount: 2500, reference: 'order-1', description: 'Top-up by card', metadata: { psp: 'stripe', attempt: 1 } });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const entries = expectTransactionShape(res.body);
      expect(res.body).toEqual(
        expect.objectContaining({ type: 'deposit', amount: 2500, currency: 'USD', walletId, reference: 'order-1', description: 'Top-up by card', metadata: { psp: 'stripe', attempt: 1 } }),
      );
      expect(res.body.fromWalletId).toBeUndefined();
      expect(res.body.toWalletId).toBeUndefined();
      expect(entries).toHaveLength(2);
      expect(entries).toEqual(expect.arrayContaining([{ account: 'world:USD', amount: -2500 }, { walletId, amount: 2500, balanceAfter: 3500, hash: ENTRY_HASH }]));
      expect(await balance(walletId)).toBe(3500);
    });

    it('accepts the largest safe amount, 2^53 − 1, and refuses to grow a balance past it', async () => {
      const walletId = await newWallet(t.http);
      const res = await deposit(walletId, { amount: Number.MAX_SAFE_INTEGER });
      expect(res.status).toBe(201);
      expect(res.body.amount).toBe(Number.MAX_SAFE_INTEGER);
      expect(await balance(walletId)).toBe(Number.MAX_SAFE_INTEGER);
      expectProblem(await deposit(walletId, { amount: 1 }), 422, 'BALANCE_LIMIT_EXCEEDED');
      expect(await balance(walletId)).toBe(Number.MAX_SAFE_INTEGER);
    });

    it('404 WALLET_NOT_FOUND for an unknown wallet', async () => {
      expectProblem(await deposit(randomUUID(), { amount: 100 }), 404, 'WALLET_NOT_FOUND');
    });
  });

  describe('POST /v1/wallets/{id}/withdrawals', () => {
    it('201 Transaction: money from the wallet to world:<CUR>', async () => {
      const walletId = await fundedWallet(t.http, 1000);
      const res = await withdraw(walletId, { amount: 400, reference: 'payout-7' });
      expect(res.status).toBe(201);
      const entries = expectTransactionShape(res.body);
      expect(res.body).toEqual(expect.objectContaining({ type: 'withdrawal', amount: 400, currency: 'EUR', walletId, reference: 'payout-7', metadata: {} }));
      expect(entries).toEqual(expect.arrayContaining([{ walletId, amount: -400, balanceAfter: 600, hash: ENTRY_HASH }, { account: 'world:EUR', amount: 400 }]));
      expect(await balance(walletId)).toBe(600);
    });

    it('can empty a wallet exactly; one more minor unit is 422 INSUFFICIENT_FUNDS and moves nothing', async () => {
      const walletId = await fundedWallet(t.http, 300);
      expect((await withdraw(walletId, { amount: 300 })).status).toBe(201);
      expectProblem(await withdraw(walletId, { amount: 1 }), 422, 'INSUFFICIENT_FUNDS');
      expect(await balance(walletId)).toBe(0);
      const listed = await history(walletId);
      expect(listed.body.data).toHaveLength(2);
    });

    it('with an overdraftLimit, available may go down to −limit but not beyond', async () => {
      const walletId = await newWallet(t.http, { overdraftLimit: 500 });
      expect((await deposit(walletId, { amount: 100 })).status).toBe(201);
      const deep = await withdraw(walletId, { amount: 600 });
      expect(deep.status).toBe(201);
      expect(deep.body.entries).toEqual(expect.arrayContaining([{ walletId, amount: -600, balanceAfter: -500, hash: ENTRY_HASH }]));
      const wallet = (await t.http.get(`/v1/wallets/${walletId}`).set(AUTH)).body;
      expect(wallet).toEqual(expect.objectContaining({ balance: -500, held: 0, available: -500, overdraftLimit: 500 }));
      expectProblem(await withdraw(walletId, { amount: 1 }), 422, 'INSUFFICIENT_FUNDS');
      expect(await balance(walletId)).toBe(-500);
    });

    it('404 WALLET_NOT_FOUND for an unknown wallet', async () => {
      expectProblem(await withdraw(randomUUID(), { amount: 100 }), 404, 'WALLET_NOT_FOUND');
    });
  });

  describe('POST /v1/transfers', () => {
    it('201 Transaction: two wallet entries with their balances after', async () => {
      const from = await fundedWallet(t.http, 1000);
      const to = await fundedWallet(t.http, 50);
      const res = await transfer({ fromWalletId: from, toWalletId: to, amount: 300, reference: 'order-9', metadata: { orderId: 9 } });
      expect(res.status).toBe(201);
      const entries = expectTransactionShape(res.body);
      expect(res.body).toEqual(expect.objectContaining({ type: 'transfer', amount: 300, currency: 'EUR', fromWalletId: from, toWalletId: to, reference: 'order-9', metadata: { orderId: 9 } }));
      expect(res.body.walletId).toBeUndefined();
      expect(entries).toHaveLength(2);
      expect(entries).toEqual(expect.arrayContaining([{ walletId: from, amount: -300, balanceAfter: 700, hash: ENTRY_HASH }, { walletId: to, amount: 300, balanceAfter: 350, hash: ENTRY_HASH }]));
      expect(await balance(from)).toBe(700);
      expect(await balance(to)).toBe(350);
    });

    it('422 INSUFFICIENT_FUNDS beyond available; an overdraft limit on the payer extends it to exactly −limit', async () => {
      const from = await fundedWallet(t.http, 100);
      const to = await newWallet(t.http);
      expectProblem(await transfer({ fromWalletId: from, toWalletId: to, amount: 101 }), 422, 'INSUFFICIENT_FUNDS');
      expect((await t.http.patch(`/v1/wallets/${from}`).set(AUTH).send({ overdraftLimit: 20 })).status).toBe(200);
      expectProblem(await transfer({ fromWalletId: from, toWalletId: to, amount: 121 }), 422, 'INSUFFICIENT_FUNDS');
      expect([await balance(from), await balance(to)]).toEqual([100, 0]);
      expect((await transfer({ fromWalletId: from, toWalletId: to, amount: 120 })).status).toBe(201);
      expect([await balance(from), await balance(to)]).toEqual([-20, 120]);
    });

    it('422 CURRENCY_MISMATCH between wallets of different currencies', async () => {
      const eur = await fundedWallet(t.http, 100, { currency: 'EUR' });
      const usd = await fundedWallet(t.http, 100, { currency: 'USD' });
      expectProblem(await transfer({ fromWalletId: eur, toWalletId: usd, amount: 10 }), 422, 'CURRENCY_MISMATCH');
      expectProblem(await transfer({ fromWalletId: usd, toWalletId: eur, amount: 10 }), 422, 'CURRENCY_MISMATCH');
      expect([await balance(eur), await balance(usd)]).toEqual([100, 100]);
    });

    it('422 SAME_WALLET for a transfer to itself, however the id is spelled', async () => {
      const wallet = await fundedWallet(t.http, 100);
      expectProblem(await transfer({ fromWalletId: wallet, toWalletId: wallet, amount: 10 }), 422, 'SAME_WALLET');
      expectProblem(await transfer({ fromWalletId: wallet, toWalletId: wallet.toUpperCase(), amount: 10 }), 422, 'SAME_WALLET');
      expect(await balance(wallet)).toBe(100);
    });

    it('404 WALLET_NOT_FOUND when either side is unknown', async () => {
      const known = await fundedWallet(t.http, 100);
      expectProblem(await transfer({ fromWalletId: randomUUID(), toWalletId: known, amount: 10 }), 404, 'WALLET_NOT_FOUND');
      expectProblem(await transfer({ fromWalletId: known, toWalletId: randomUUID(), amount: 10 }), 404, 'WALLET_NOT_FOUND');
      expect(await balance(known)).toBe(100);
    });

    it('422 WALLET_NOT_ACTIVE when the payer or the receiver is frozen or closed', async () => {
      const payer = await fundedWallet(t.http, 100);
      const frozen = await fundedWallet(t.http, 100);
      const closed = await newWallet(t.http);
      expect((await t.http.patch(`/v1/wallets/${frozen}`).set(AUTH).send({ status: 'frozen' })).status).toBe(200);
      expect((await t.http.patch(`/v1/wallets/${closed}`).set(AUTH).send({ status: 'closed' })).status).toBe(200);
      expectProblem(await transfer({ fromWalletId: frozen, toWalletId: payer, amount: 10 }), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await transfer({ fromWalletId: payer, toWalletId: frozen, amount: 10 }), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await transfer({ fromWalletId: payer, toWalletId: closed, amount: 10 }), 422, 'WALLET_NOT_ACTIVE');
      expect([await balance(payer), await balance(frozen), await balance(closed)]).toEqual([100, 100, 0]);
    });

    it.each([
      ['fromWalletId', { fromWalletId: 'not-a-uuid' }],
      ['toWalletId', { toWalletId: '12345' }],
      ['fromWalletId', { fromWalletId: undefined }],
    ])('400 VALIDATION_FAILED for a bad %s', async (field, override) => {
      const from = await fundedWallet(t.http, 100);
      const to = await newWallet(t.http);
      const body: Record<string, unknown> = { fromWalletId: from, toWalletId: to, amount: 10, ...override };
      expectProblem(await transfer(body), 400, 'VALIDATION_FAILED', field);
      expect([await balance(from), await balance(to)]).toEqual([100, 0]);
    });
  });

  describe('GET /v1/transactions/{id}', () => {
    it('returns exactly the body the POST returned, for every kind of movement', async () => {
      const a = await fundedWallet(t.http, 1000);
      const b = await newWallet(t.http);
      const posted = [
        await deposit(a, { amount: 10, description: 'top-up', metadata: { k: 'v', n: 1.5, ok: false, none: null } }),
        await withdraw(a, { amount: 5, reference: 'r-1' }),
        await transfer({ fromWalletId: a, toWalletId: b, amount: 7 }),
      ];
      for (const res of posted) {
        expect(res.status).toBe(201);
        const fetched = await t.http.get(`/v1/transactions/${res.body.id}`).set(AUTH);
        expect(fetched.status).toBe(200);
        expect(fetched.headers['content-type']).toMatch(/^application\/json/);
        expect(fetched.body).toEqual(res.body);
        expectTransactionShape(fetched.body);
      }
    });

    it('404 TRANSACTION_NOT_FOUND for an unknown id; a wallet id is not a transaction id', async () => {
      expectProblem(await t.http.get(`/v1/transactions/${randomUUID()}`).set(AUTH), 404, 'TRANSACTION_NOT_FOUND');
      expectProblem(await t.http.get(`/v1/transactions/${await newWallet(t.http)}`).set(AUTH), 404, 'TRANSACTION_NOT_FOUND');
    });
  });

  describe('GET /v1/wallets/{id}/transactions', () => {
    /** A wallet with `count` movements of every type, posted one after another; returns ids oldest first. */
    async function busyWallet(count: number): Promise<{ walletId: string; peer: string; ids: string[]; types: string[] }> {
      const walletId = await newWallet(t.http);
      const peer = await fundedWallet(t.http, 1_000_000);
      const ids: string[] = [];
      const types: string[] = [];
      for (let i = 0; i < count; i++) {
        const kind = i < 2 ? 'deposit' : ['deposit', 'withdrawal', 'transfer-in', 'transfer-out'][i % 4];
        const amount = 100 + i;
        const res =
          kind === 'deposit'
            ? await deposit(walletId, { amount: amount * 3 })
            : kind === 'withdrawal'
              ? await withdraw(walletId, { amount })
              : kind === 'transfer-in'
                ? await transfer({ fromWalletId: peer, toWalletId: walletId, amount })
                : await transfer({ fromWalletId: walletId, toWalletId: peer, amount });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
        types.push(res.body.type);
      }
      return { walletId, peer, ids, types };
    }

    async function collect(walletId: string, query: Record<string, string | number>, between?: () => Promise<void>) {
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 200; page++) {
        const res = await history(walletId, { ...query, ...(cursor ? { cursor } : {}) });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(['data', 'nextCursor']);
        for (const tx of res.body.data) expectTransactionShape(tx);
        seen.push(...res.body.data.map((tx: { id: string }) => tx.id));
        pageSizes.push(res.body.data.length);
        cursor = res.body.nextCursor;
        if (cursor === null) return { seen, pageSizes };
        expect(typeof cursor).toBe('string');
        if (between) await between();
      }
      throw new Error('paging never ended');
    }

    it('newest first by default, 20 per page, with a nextCursor while more remain', async () => {
      const { walletId, ids } = await busyWallet(23);
      const res = await history(walletId);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.data.map((tx: { id: string }) => tx.id)).toEqual([...ids].reverse().slice(0, 20));
      expect(typeof res.body.nextCursor).toBe('string');
      const rest = await history(walletId, { cursor: res.body.nextCursor });
      expect(rest.body.data.map((tx: { id: string }) => tx.id)).toEqual([...ids].reverse().slice(20));
      expect(rest.body.nextCursor).toBeNull();
    });

    it.each([
      ['desc', 1],
      ['desc', 7],
      ['asc', 5],
      ['asc', 13],
    ])('order=%s, limit=%i pages through everything once, in order, without repeats or gaps', async (order, limit) => {
      const { walletId, ids } = await busyWallet(26);
      const { seen, pageSizes } = await collect(walletId, { order, limit });
      expect(seen).toEqual(order === 'asc' ? ids : [...ids].reverse());
      expect(new Set(seen).size).toBe(seen.length);
      expect(pageSizes.slice(0, -1).every((size) => size === limit)).toBe(true);
      expect(pageSizes[pageSizes.length - 1]).toBeGreaterThan(0);
      expect(pageSizes[pageSizes.length - 1]).toBeLessThanOrEqual(limit);
    });

    it('the last page has nextCursor null when the count divides evenly, and limit=100 is accepted', async () => {
      const { walletId, ids } = await busyWallet(6);
      const { seen, pageSizes } = await collect(walletId, { limit: 3 });
      expect(pageSizes).toEqual([3, 3]);
      expect(seen).toEqual([...ids].reverse());
      const all = await history(walletId, { limit: 100 });
      expect(all.status).toBe(200);
      expect(all.body.data).toHaveLength(6);
      expect(all.body.nextCursor).toBeNull();
    });

    it('paging newest-first does not repeat or skip while new transactions are posted meanwhile', async () => {
      const { walletId, ids } = await busyWallet(12);
      const { seen } = await collect(walletId, { limit: 5 }, async () => {
        expect((await deposit(walletId, { amount: 1 })).status).toBe(201);
      });
      expect(seen).toEqual([...ids].reverse());
    });

    it('entries carry running balances that replay to the wallet balance', async () => {
      const { walletId } = await busyWallet(15);
      const { body } = await history(walletId, { order: 'asc', limit: 100 });
      let running = 0;
      for (const tx of body.data) {
        const mine = (tx.entries as Entry[]).filter((entry) => entry.walletId === walletId);
        expect(mine).toHaveLength(1);
        running += mine[0].amount;
        expect(mine[0].balanceAfter).toBe(running);
      }
      expect(await balance(walletId)).toBe(running);
    });

    it('each listed transaction equals GET /v1/transactions/{id}', async () => {
      const { walletId } = await busyWallet(6);
      const { body } = await history(walletId);
      for (const tx of body.data) expect((await t.http.get(`/v1/transactions/${tx.id}`).set(AUTH)).body).toEqual(tx);
    });

    it.each(['deposit', 'withdrawal', 'transfer'])('type=%s lists only that type, with paging', async (type) => {
      const { walletId, ids, types } = await busyWallet(18);
      const expected = ids.filter((_, i) => types[i] === type);
      expect(expected.length).toBeGreaterThan(1);
      const { seen } = await collect(walletId, { type, limit: 2, order: 'asc' });
      expect(seen).toEqual(expected);
    });

    it('a transfer appears in the history of both wallets', async () => {
      const a = await fundedWallet(t.http, 100);
      const b = await newWallet(t.http);
      const tx = (await transfer({ fromWalletId: a, toWalletId: b, amount: 40 })).body;
      expect((await history(a, { type: 'transfer' })).body.data).toEqual([tx]);
      expect((await history(b)).body.data).toEqual([tx]);
    });

    it('from (at or after) and to (before) filter by createdAt, alone and together', async () => {
      const { walletId } = await busyWallet(10);
      const all: { id: string; createdAt: string }[] = (await history(walletId, { order: 'asc', limit: 100 })).body.data;
      const first = all[0].createdAt;
      const pivot = all[5].createdAt;
      const last = all[all.length - 1].createdAt;
      expect(Date.parse(first)).toBeLessThan(Date.parse(last));
      const at = (iso: string) => Date.parse(iso);
      const idsWhere = (keep: (ms: number) => boolean) => all.filter((tx) => keep(at(tx.createdAt))).map((tx) => tx.id);

      const since = await history(walletId, { order: 'asc', limit: 100, from: pivot });
      expect(since.status).toBe(200);
      expect(since.body.data.map((tx: { id: string }) => tx.id)).toEqual(idsWhere((ms) => ms >= at(pivot)));
      expect(since.body.data.length).toBeGreaterThan(0);

      const before = await history(walletId, { order: 'asc', limit: 100, to: pivot });
      expect(before.body.data.map((tx: { id: string }) => tx.id)).toEqual(idsWhere((ms) => ms < at(pivot)));
      expect(before.body.data.length + since.body.data.length).toBe(all.length);

      const window = await history(walletId, { order: 'asc', limit: 100, from: first, to: last });
      expect(window.body.data.map((tx: { id: string }) => tx.id)).toEqual(idsWhere((ms) => ms >= at(first) && ms < at(last)));

      const afterAll = await history(walletId, { from: new Date(at(last) + 1).toISOString() });
      expect(afterAll.body).toEqual({ data: [], nextCursor: null });
      const beforeAll = await history(walletId, { to: first });
      expect(beforeAll.body).toEqual({ data: [], nextCursor: null });
    });

    it('a wallet without movements has an empty history', async () => {
      const res = await history(await newWallet(t.http));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [], nextCursor: null });
    });

    it('404 WALLET_NOT_FOUND for the history of an unknown wallet', async () => {
      expectProblem(await history(randomUUID()), 404, 'WALLET_NOT_FOUND');
    });
  });

  describe('frozen and closed wallets', () => {
    it('a frozen wallet can neither pay nor receive; unfreezing restores both', async () => {
      const walletId = await fundedWallet(t.http, 100);
      const peer = await fundedWallet(t.http, 100);
      expect((await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ status: 'frozen' })).status).toBe(200);
      expectProblem(await deposit(walletId, { amount: 1 }), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await withdraw(walletId, { amount: 1 }), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await transfer({ fromWalletId: walletId, toWalletId: peer, amount: 1 }), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await transfer({ fromWalletId: peer, toWalletId: walletId, amount: 1 }), 422, 'WALLET_NOT_ACTIVE');
      expect([await balance(walletId), await balance(peer)]).toEqual([100, 100]);
      expect((await history(walletId)).body.data).toHaveLength(1);
      expect((await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ status: 'active' })).status).toBe(200);
      expect((await transfer({ fromWalletId: peer, toWalletId: walletId, amount: 1 })).status).toBe(201);
      expect((await withdraw(walletId, { amount: 101 })).status).toBe(201);
    });
  });

  describe('idempotency', () => {
    it.each([
      ['deposit', (w: string) => ({ path: `/v1/wallets/${w}/deposits`, body: { amount: 250, reference: 'top-up' }, deltas: [250, 0] })],
      ['withdrawal', (w: string) => ({ path: `/v1/wallets/${w}/withdrawals`, body: { amount: 250 }, deltas: [-250, 0] })],
      ['transfer', (w: string, p: string) => ({ path: '/v1/transfers', body: { fromWalletId: w, toWalletId: p, amount: 250 }, deltas: [-250, 250] })],
    ])('%s: the same key and body replays the same 201 and body, with idempotency-replayed: true, moving money once', async (_, make) => {
      const walletId = await fundedWallet(t.http, 1000);
      const peer = await fundedWallet(t.http, 1000);
      const { path, body, deltas } = make(walletId, peer);
      const key = randomUUID();
      const first = await t.http.post(path).set(AUTH).set('Idempotency-Key', key).send(body);
      expect(first.status).toBe(201);
      expect(first.headers['idempotency-replayed']).toBeUndefined();
      for (let i = 0; i < 2; i++) {
        const again = await t.http.post(path).set(AUTH).set('Idempotency-Key', key).send(body);
        expect(again.status).toBe(201);
        expect(again.headers['idempotency-replayed']).toBe('true');
        expect(again.body).toEqual(first.body);
      }
      expect([await balance(walletId), await balance(peer)]).toEqual([1000 + deltas[0], 1000 + deltas[1]]);
      expect((await history(walletId)).body.data).toHaveLength(2);
      expect((await t.http.get(`/v1/transactions/${first.body.id}`).set(AUTH)).body).toEqual(first.body);
    });

    it('the same body with its fields in another order is the same request', async () => {
      const walletId = await fundedWallet(t.http, 0);
      const key = randomUUID();
      const first = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', key)
        .set('Content-Type', 'application/json').send('{"amount":5,"metadata":{"a":1,"b":2},"reference":"x"}');
      const again = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', key)
        .set('Content-Type', 'application/json').send('{"reference":"x","metadata":{"b":2,"a":1},"amount":5}');
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await balance(walletId)).toBe(5);
    });

    it('the same key with a different body → 422 IDEMPOTENCY_KEY_REUSED, and nothing moves', async () => {
      const walletId = await fundedWallet(t.http, 1000);
      const key = randomUUID();
      expect((await deposit(walletId, { amount: 100 }).set('Idempotency-Key', key)).status).toBe(201);
      expectProblem(await deposit(walletId, { amount: 101 }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await deposit(walletId, { amount: 100, reference: 'extra' }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      // the same body on another endpoint or wallet is a different request too
      expectProblem(await withdraw(walletId, { amount: 100 }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      const other = await fundedWallet(t.http, 0);
      expectProblem(await deposit(other, { amount: 100 }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect([await balance(walletId), await balance(other)]).toEqual([1100, 0]);
    });

    it('a refusal is replayed as the same refusal even after the wallet could pay', async () => {
      const walletId = await fundedWallet(t.http, 5);
      const key = randomUUID();
      const first = await withdraw(walletId, { amount: 10 }).set('Idempotency-Key', key);
      expectProblem(first, 422, 'INSUFFICIENT_FUNDS');
      expect((await deposit(walletId, { amount: 100 })).status).toBe(201);
      const again = await withdraw(walletId, { amount: 10 }).set('Idempotency-Key', key);
      expect(again.status).toBe(422);
      expect(again.body).toEqual(first.body);
      // the first refusal carries no replay header, its repeat does (README: refusals included)
      expect([first.headers['idempotency-replayed'], again.headers['idempotency-replayed']]).toEqual([undefined, 'true']);
      expect(await balance(walletId)).toBe(105);
    });

    it('keys are scoped per API key: the same key and body under two API keys moves money twice', async () => {
      const walletId = await fundedWallet(t.http, 0);
      const key = randomUUID();
      const mine = await deposit(walletId, { amount: 70 }).set('Idempotency-Key', key);
      const theirs = await deposit(walletId, { amount: 70 }, OTHER_AUTH).set('Idempotency-Key', key);
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.headers['idempotency-replayed']).toBeUndefined();
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(await balance(walletId)).toBe(140);
      // and each API key replays only its own answer
      const mineAgain = await deposit(walletId, { amount: 70 }).set('Idempotency-Key', key);
      const theirsAgain = await deposit(walletId, { amount: 70 }, OTHER_AUTH).set('Idempotency-Key', key);
      expect(mineAgain.body).toEqual(mine.body);
      expect(theirsAgain.body).toEqual(theirs.body);
      expect([mineAgain.headers['idempotency-replayed'], theirsAgain.headers['idempotency-replayed']]).toEqual(['true', 'true']);
      expect(await balance(walletId)).toBe(140);
    });

    it('the same key with a different body under the other API key is not IDEMPOTENCY_KEY_REUSED', async () => {
      const walletId = await fundedWallet(t.http, 0);
      const key = randomUUID();
      expect((await deposit(walletId, { amount: 1 }).set('Idempotency-Key', key)).status).toBe(201);
      const theirs = await deposit(walletId, { amount: 2 }, OTHER_AUTH).set('Idempotency-Key', key);
      expect(theirs.status).toBe(201);
      expect(await balance(walletId)).toBe(3);
    });

    it('Idempotency-Key of 255 characters is accepted', async () => {
      const walletId = await fundedWallet(t.http, 0);
      const key = randomUUID().padEnd(255, 'k');
      expect((await deposit(walletId, { amount: 3 }).set('Idempotency-Key', key)).status).toBe(201);
      const again = await deposit(walletId, { amount: 3 }).set('Idempotency-Key', key);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(await balance(walletId)).toBe(3);
    });
  });
});

describe('a database set up with another time zone, date style and isolation level (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A server whose initdb picked up the host's zone and style, and a DBA's stricter default isolation: the
    // service's sessions must still read times in UTC, parse the timestamps they get back, and post under
    // READ COMMITTED.
    t = await startTestApp({}, async (db) => {
      const name = new URL(db.url).pathname.slice(1);
      await db.pool.query(`ALTER DATABASE ${name} SET timezone = 'America/New_York'`);
      await db.pool.query(`ALTER DATABASE ${name} SET datestyle = 'SQL, DMY'`);
      await db.pool.query(`ALTER DATABASE ${name} SET default_transaction_isolation = 'serializable'`);
    });
  });
  afterAll(() => t.close());

  it("history's from/to as a bare date or a local time mean UTC, and every timestamp reads back", async () => {
    const wallet = (await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: `tz-${randomUUID()}`, currency: 'EUR' }).expect(201)).body.id;
    const clock = jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date('2024-01-01T02:00:00.000Z')); // 21:00 the day before in New York
    try {
      await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 100 }).expect(201);
    } finally {
      clock.mockRestore();
    }
    const count = async (query: Record<string, string>) =>
      (await t.http.get(`/v1/wallets/${wallet}/transactions`).query(query).set(AUTH).expect(200)).body.data.length;
    expect(await count({ from: '2024-01-01' })).toBe(1); // New York's midnight would be 05:00Z and leave it out
    expect(await count({ to: '2024-01-01' })).toBe(0);
    expect(await count({ from: '2024-01-01T01:59:59' })).toBe(1);
    expect(await count({ from: '2024-01-01T02:00:01' })).toBe(0);
    // Timestamps come back readable: the deposit's time, its statement line and the wallet's own stamps.
    const [deposit] = (await t.http.get(`/v1/wallets/${wallet}/transactions`).set(AUTH).expect(200)).body.data;
    expect(deposit.createdAt).toBe('2024-01-01T02:00:00.000Z');
    const statement = (await t.http.get(`/v1/wallets/${wallet}/statement`).set(AUTH).expect(200)).body;
    expect(statement.entries.map((e: { createdAt: string }) => e.createdAt)).toEqual(['2024-01-01T02:00:00.000Z']);
    expect(Date.parse((await t.http.get(`/v1/wallets/${wallet}`).set(AUTH).expect(200)).body.createdAt)).not.toBeNaN();
    // The service's sessions run with their own settings …
    const service = t.app.get(DataSource);
    const [settings] = await service.query(
      `SELECT current_setting('TimeZone') AS zone, current_setting('DateStyle') AS style, current_setting('transaction_isolation') AS isolation`,
    );
    expect(settings).toEqual({ zone: 'UTC', style: 'ISO, MDY', isolation: 'read committed' });
    // … while a new session on that database still gets New York: only the service's sessions are pinned.
    const fresh = new pg.Client({ connectionString: t.db.url });
    await fresh.connect();
    try {
      expect((await fresh.query('SHOW timezone')).rows[0].TimeZone).toBe('America/New_York');
      expect((await fresh.query('SHOW datestyle')).rows[0].DateStyle).toBe('SQL, DMY');
    } finally {
      await fresh.end();
    }
  });

  it('the same Idempotency-Key sent 20 times at once moves money once, also where transactions default to SERIALIZABLE', async () => {
    const wallet = (await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: `iso-${randomUUID()}`, currency: 'EUR' }).expect(201)).body.id;
    const key = randomUUID();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Idempotency-Key', key).send({ amount: 7 })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect((await t.http.get(`/v1/wallets/${wallet}`).set(AUTH).expect(200)).body.balance).toBe(7);
  });

  it('50 withdrawals of 10 at once from 100: exactly 10 succeed, the rest are refused for funds, none fails', async () => {
    const wallet = (await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: `iso-${randomUUID()}`, currency: 'EUR' }).expect(201)).body.id;
    await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 100 }).expect(201);
    const replies = await Promise.all(Array.from({ length: 50 }, () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(AUTH).send({ amount: 10 })));
    const statuses = replies.map((r) => (r.status === 422 ? r.body.code : r.status));
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s !== 201)).toEqual(Array(40).fill('INSUFFICIENT_FUNDS'));
  });
});
