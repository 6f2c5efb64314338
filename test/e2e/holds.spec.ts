import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { HoldsSweeper } from '../../src/ledger/holds/holds.sweeper.js';
import { expectProblem } from '../support/expect-problem.js';
import { ManualClock, manualClock } from '../support/manual-clock.js';
import { AUTH, fundedWallet, newWallet, OTHER_API_KEY, startTestApp, TestApp } from '../support/test-app.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';

/** A wallet leg's chain hash (entry_hash.sql): 64 hex digits. */
const ENTRY_HASH = expect.stringMatching(/^[0-9a-f]{64}$/);

/**
 * Holds over HTTP against the real app and PostgreSQL: placing, reading and listing them, capturing
 * (whole, partial, to a seller or to revenue) and voiding, every refusal the contract names, expiry
 * driven by a manual clock (never by sleeping), the sweeper, and idempotent replays. After every test
 * the ledger's invariants are checked with SQL.
 */

const OTHER_AUTH = { Authorization: `Bearer ${OTHER_API_KEY}` };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOLD_FIELDS = ['id', 'walletId', 'currency', 'amount', 'capturedAmount', 'status', 'expiresAt', 'reference', 'description', 'metadata', 'createdAt', 'releasedAt'];
const TRANSACTION_FIELDS = ['id', 'type', 'status', 'amount', 'currency', 'walletId', 'fromWalletId', 'toWalletId', 'holdId', 'refundOf', 'refundedAmount', 'reference', 'description', 'metadata', 'createdAt', 'entries'];
const MAX_HOLD_SECONDS = 30 * 24 * 60 * 60;

type Body = Record<string, any>;

/** Checks a Hold body against the contract. */
function expectHoldShape(hold: Body): void {
  for (const key of Object.keys(hold)) expect(HOLD_FIELDS).toContain(key);
  for (const key of ['id', 'walletId', 'currency', 'amount', 'capturedAmount', 'status', 'metadata', 'createdAt']) expect(hold).toHaveProperty(key);
  expect(hold.id).toMatch(UUID);
  expect(hold.currency).toMatch(/^[A-Z]{3}$/);
  expect(Number.isSafeInteger(hold.amount)).toBe(true);
  expect(Number.isSafeInteger(hold.capturedAmount)).toBe(true);
  expect(['active', 'captured', 'voided', 'expired']).toContain(hold.status);
  expect(Number.isNaN(Date.parse(hold.createdAt))).toBe(false);
  expect(hold.releasedAt === undefined).toBe(hold.status === 'active');
  if (hold.status !== 'captured') expect(hold.capturedAmount).toBe(0);
}

/** Checks a Transaction body against the contract; its entries must sum to zero. */
function expectTransactionShape(tx: Body): void {
  for (const key of Object.keys(tx)) expect(TRANSACTION_FIELDS).toContain(key);
  expect(tx.id).toMatch(UUID);
  expect(tx.entries).toHaveLength(2);
  expect(tx.entries.reduce((sum: number, e: Body) => sum + e.amount, 0)).toBe(0);
  for (const entry of tx.entries) expect((entry.walletId === undefined) !== (entry.account === undefined)).toBe(true);
}

describe('holds (e2e)', () => {
  let t: TestApp;
  let clock: ManualClock | undefined;
  /** Each clock-driven test runs at its own moment, years apart, so no two tests' holds fall due together. */
  let era = 0;

  beforeAll(async () => {
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
  });
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await expectLedgerInvariants(t.db.pool);
  });
  afterAll(() => t.close());

  const takeClock = (): ManualClock => {
    era += 1;
    clock = manualClock(t.app, new Date(Date.UTC(2040 + era, 0, 1, 12, 0, 0, 0)));
    return clock;
  };
  const sweeper = () => t.app.get(HoldsSweeper);

  const place = (body: Body, headers: Record<string, string> = AUTH) => t.http.post('/v1/holds').set(headers).send(body);
  const capture = (holdId: string, body: Body = {}, headers: Record<string, string> = AUTH) =>
    t.http.post(`/v1/holds/${holdId}/capture`).set(headers).send(body);
  const voidHold = (holdId: string, headers: Record<string, string> = AUTH) => t.http.post(`/v1/holds/${holdId}/void`).set(headers);
  const getHold = (holdId: string) => t.http.get(`/v1/holds/${holdId}`).set(AUTH);
  const listHolds = (walletId: string, query: Record<string, string | number> = {}) => t.http.get(`/v1/wallets/${walletId}/holds`).query(query).set(AUTH);
  const withdraw = (walletId: string, amount: number) => t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount });
  const freeze = async (walletId: string, status = 'frozen') => expect((await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ status })).status).toBe(200);

  async function placed(body: Body): Promise<Body> {
    const res = await place(body);
    expect(res.status).toBe(201);
    return res.body;
  }
  /** The wallet as the API shows it; available is always balance − held. */
  async function wallet(id: string): Promise<Body> {
    const res = await t.http.get(`/v1/wallets/${id}`).set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body.available).toBe(res.body.balance - res.body.held);
    return res.body;
  }
  /** held as the API shows it equals the sum of the wallet's holds that read as active right now. */
  async function expectHeldIsActiveHolds(walletId: string): Promise<number> {
    const active = await listHolds(walletId, { status: 'active', limit: 100 });
    expect(active.status).toBe(200);
    const sum = active.body.data.reduce((total: number, hold: Body) => total + hold.amount, 0);
    expect((await wallet(walletId)).held).toBe(sum);
    return sum;
  }
  const stored = async (holdId: string) =>
    (await t.db.pool.query(`SELECT h.status, h.released_at, w.held::int AS held FROM holds h JOIN wallets w ON w.id = h.wallet_id WHERE h.id = $1`, [holdId])).rows[0];

  describe('POST /v1/holds', () => {
    it('201 Hold: reserves money — held rises, available drops, balance stays', async () => {
      const walletId = await fundedWallet(t.http, 10_000);
      const res = await place({ walletId, amount: 2_500, reference: 'order-1', description: 'Basket #1', metadata: { cart: 'c-1', items: 3 } });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expectHoldShape(res.body);
      expect(res.body).toEqual({
        id: expect.any(String),
        walletId,
        currency: 'EUR',
        amount: 2_500,
        capturedAmount: 0,
        status: 'active',
        reference: 'order-1',
        description: 'Basket #1',
        metadata: { cart: 'c-1', items: 3 },
        createdAt: expect.any(String),
      });
      expect(await wallet(walletId)).toMatchObject({ balance: 10_000, held: 2_500, available: 7_500 });
      expect((await getHold(res.body.id)).body).toEqual(res.body);
      // a hold is not a transaction: the history is unchanged
      const history = await t.http.get(`/v1/wallets/${walletId}/transactions`).set(AUTH).expect(200);
      expect(history.body.data).toHaveLength(1);
    });

    it('without expiresInSeconds the hold has no expiresAt and metadata defaults to {}', async () => {
      const walletId = await fundedWallet(t.http, 100, { currency: 'USD' });
      const hold = await placed({ walletId, amount: 100 });
      expectHoldShape(hold);
      expect(hold).not.toHaveProperty('expiresAt');
      expect(hold).not.toHaveProperty('reference');
      expect(hold).not.toHaveProperty('description');
      expect(hold).not.toHaveProperty('releasedAt');
      expect(hold).toMatchObject({ currency: 'USD', metadata: {}, amount: 100 });
      expect(await wallet(walletId)).toMatchObject({ balance: 100, held: 100, available: 0 });
    });

    it('expiresAt is createdAt + expiresInSeconds, on the service clock; 1 and 2592000 (30 days) are accepted', async () => {
      const c = takeClock();
      const walletId = await fundedWallet(t.http, 1_000);
      const short = await placed({ walletId, amount: 1, expiresInSeconds: 1 });
      expect(short.createdAt).toBe(c.now.toISOString());
      expect(short.expiresAt).toBe(new Date(c.now.getTime() + 1_000).toISOString());
      const long = await placed({ walletId, amount: 2, expiresInSeconds: MAX_HOLD_SECONDS });
      expect(long.expiresAt).toBe(new Date(c.now.getTime() + MAX_HOLD_SECONDS * 1_000).toISOString());
      expect(await wallet(walletId)).toMatchObject({ held: 3, available: 997 });
    });

    it('several holds add up; available may reach exactly 0, one more unit is 422 INSUFFICIENT_FUNDS', async () => {
      const walletId = await fundedWallet(t.http, 1_000);
      await placed({ walletId, amount: 400 });
      await placed({ walletId, amount: 600 });
      expect(await wallet(walletId)).toMatchObject({ balance: 1_000, held: 1_000, available: 0 });
      const refused = await place({ walletId, amount: 1 });
      expectProblem(refused, 422, 'INSUFFICIENT_FUNDS');
      expect(refused.body.detail).toContain(walletId);
      expect(await wallet(walletId)).toMatchObject({ held: 1_000, available: 0 });
      expect((await listHolds(walletId)).body.data).toHaveLength(2);
    });

    it('an overdraft limit lets a hold take available down to −limit, not beyond', async () => {
      const walletId = await newWallet(t.http, { overdraftLimit: 300 });
      await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).send({ amount: 200 }).expect(201);
      expectProblem(await place({ walletId, amount: 501 }), 422, 'INSUFFICIENT_FUNDS');
      await placed({ walletId, amount: 500 });
      expect(await wallet(walletId)).toMatchObject({ balance: 200, held: 500, available: -300 });
    });

    it('held money cannot be withdrawn, transferred or held again', async () => {
      const walletId = await fundedWallet(t.http, 1_000);
      const other = await fundedWallet(t.http, 0);
      await placed({ walletId, amount: 700 });
      expectProblem(await withdraw(walletId, 301), 422, 'INSUFFICIENT_FUNDS');
      expectProblem(await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: walletId, toWalletId: other, amount: 301 }), 422, 'INSUFFICIENT_FUNDS');
      expectProblem(await place({ walletId, amount: 301 }), 422, 'INSUFFICIENT_FUNDS');
      expect((await withdraw(walletId, 300)).status).toBe(201);
      expect(await wallet(walletId)).toMatchObject({ balance: 700, held: 700, available: 0 });
    });

    it('404 WALLET_NOT_FOUND for an unknown wallet', async () => {
      const res = await place({ walletId: randomUUID(), amount: 1 });
      expectProblem(res, 404, 'WALLET_NOT_FOUND');
    });

    it('422 WALLET_NOT_ACTIVE on a frozen or closed wallet', async () => {
      const frozen = await fundedWallet(t.http, 100);
      await freeze(frozen);
      expectProblem(await place({ walletId: frozen, amount: 1 }), 422, 'WALLET_NOT_ACTIVE');
      const closed = await newWallet(t.http);
      await freeze(closed, 'closed');
      expectProblem(await place({ walletId: closed, amount: 1 }), 422, 'WALLET_NOT_ACTIVE');
      expect(await wallet(frozen)).toMatchObject({ held: 0 });
    });

    it.each<[string, Body, string]>([
      ['amount 0', { amount: 0 }, 'amount'],
      ['amount −5', { amount: -5 }, 'amount'],
      ['amount 1.5', { amount: 1.5 }, 'amount'],
      ['amount as a string', { amount: '100' }, 'amount'],
      ['amount null', { amount: null }, 'amount'],
      ['amount 2^53', { amount: 2 ** 53 }, 'amount'],
      ['amount 1e300', { amount: 1e300 }, 'amount'],
      ['no amount', { amount: undefined }, 'amount'],
      ['expiresInSeconds 0', { expiresInSeconds: 0 }, 'expiresInSeconds'],
      ['expiresInSeconds −1', { expiresInSeconds: -1 }, 'expiresInSeconds'],
      ['expiresInSeconds 30 days + 1 s', { expiresInSeconds: MAX_HOLD_SECONDS + 1 }, 'expiresInSeconds'],
      ['expiresInSeconds 1.5', { expiresInSeconds: 1.5 }, 'expiresInSeconds'],
      ['expiresInSeconds as a string', { expiresInSeconds: '60' }, 'expiresInSeconds'],
      ['expiresInSeconds null', { expiresInSeconds: null }, 'expiresInSeconds'],
      ['walletId not a uuid', { walletId: 'wallet-1' }, 'walletId'],
      ['no walletId', { walletId: undefined }, 'walletId'],
      ['an unknown field', { currency: 'EUR' }, 'currency'],
      ['metadata not flat', { metadata: { nested: { a: 1 } } }, 'metadata'],
      ['reference empty', { reference: '' }, 'reference'],
    ])('400 VALIDATION_FAILED for %s', async (_, change, field) => {
      const walletId = await fundedWallet(t.http, 1_000);
      const res = await place({ walletId, amount: 100, ...change });
      expectProblem(res, 400, 'VALIDATION_FAILED', field);
      expect(await wallet(walletId)).toMatchObject({ held: 0 });
    });

    it('400 for malformed JSON and for a body that is not an object', async () => {
      const malformed = await t.http.post('/v1/holds').set(AUTH).set('Content-Type', 'application/json').send('{"walletId":');
      expectProblem(malformed, 400, 'VALIDATION_FAILED');
      const array = await t.http.post('/v1/holds').set(AUTH).set('Content-Type', 'application/json').send('[]');
      expectProblem(array, 400, 'VALIDATION_FAILED');
    });

    it('401 without an API key, and nothing is reserved', async () => {
      const walletId = await fundedWallet(t.http, 100);
      expectProblem(await t.http.post('/v1/holds').send({ walletId, amount: 1 }), 401, 'UNAUTHORIZED');
      expect(await wallet(walletId)).toMatchObject({ held: 0 });
    });
  });

  describe('GET /v1/holds/{id} and GET /v1/wallets/{id}/holds', () => {
    it('GET returns the hold as placed; 404 HOLD_NOT_FOUND for an unknown id, 400 for a bad one', async () => {
      const walletId = await fundedWallet(t.http, 100);
      const hold = await placed({ walletId, amount: 10, expiresInSeconds: 3_600 });
      const got = await getHold(hold.id);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(hold);
      expectProblem(await getHold(randomUUID()), 404, 'HOLD_NOT_FOUND');
      expectProblem(await getHold(walletId), 404, 'HOLD_NOT_FOUND');
      expectProblem(await getHold('nope'), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(`/v1/holds/${hold.id}`), 401, 'UNAUTHORIZED');
    });

    it("lists a wallet's holds newest first, a page at a time, with a status filter", async () => {
      const c = takeClock();
      const walletId = await fundedWallet(t.http, 10_000);
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        ids.push((await placed({ walletId, amount: i * 10 })).id);
        c.advance(1_000);
      }
      await voidHold(ids[1]).expect(200);
      await capture(ids[3], { amount: 5 }).expect(201);

      const all = await listHolds(walletId);
      expect(all.status).toBe(200);
      expect(Object.keys(all.body).sort()).toEqual(['data', 'nextCursor']);
      expect(all.body.data.map((h: Body) => h.id)).toEqual([...ids].reverse());
      expect(all.body.nextCursor).toBeNull();
      for (const hold of all.body.data) {
        expectHoldShape(hold);
        expect(hold).toEqual((await getHold(hold.id)).body);
      }

      const first = await listHolds(walletId, { limit: 2 });
      expect(first.body.data.map((h: Body) => h.id)).toEqual([ids[4], ids[3]]);
      expect(typeof first.body.nextCursor).toBe('string');
      const second = await listHolds(walletId, { limit: 2, cursor: first.body.nextCursor });
      expect(second.body.data.map((h: Body) => h.id)).toEqual([ids[2], ids[1]]);
      const third = await listHolds(walletId, { limit: 2, cursor: second.body.nextCursor });
      expect(third.body.data.map((h: Body) => h.id)).toEqual([ids[0]]);
      expect(third.body.nextCursor).toBeNull();

      const byStatus = async (status: string) => (await listHolds(walletId, { status })).body.data.map((h: Body) => h.id);
      expect(await byStatus('active')).toEqual([ids[4], ids[2], ids[0]]);
      expect(await byStatus('voided')).toEqual([ids[1]]);
      expect(await byStatus('captured')).toEqual([ids[3]]);
      expect(await byStatus('expired')).toEqual([]);
      expect(await expectHeldIsActiveHolds(walletId)).toBe(50 + 30 + 10);
    });

    it('list refusals: unknown wallet 404, bad status, limit out of range, foreign or forged cursor 400', async () => {
      const walletId = await fundedWallet(t.http, 100);
      const other = await fundedWallet(t.http, 100);
      for (let i = 0; i < 3; i++) await placed({ walletId, amount: 1 });
      await placed({ walletId: other, amount: 1 });
      await placed({ walletId: other, amount: 1 });
      expectProblem(await listHolds(randomUUID()), 404, 'WALLET_NOT_FOUND');
      expectProblem(await listHolds('nope'), 400, 'VALIDATION_FAILED');
      expectProblem(await listHolds(walletId, { status: 'pending' }), 400, 'VALIDATION_FAILED', 'status');
      expectProblem(await listHolds(walletId, { limit: 0 }), 400, 'VALIDATION_FAILED', 'limit');
      expectProblem(await listHolds(walletId, { limit: 101 }), 400, 'VALIDATION_FAILED', 'limit');
      expectProblem(await listHolds(walletId, { limit: 'ten' }), 400, 'VALIDATION_FAILED', 'limit');
      expectProblem(await listHolds(walletId, { cursor: 'garbage' }), 400, 'VALIDATION_FAILED', 'cursor');
      const page = await listHolds(walletId, { limit: 1 });
      expect(page.body.nextCursor).toEqual(expect.any(String));
      expectProblem(await listHolds(other, { limit: 1, cursor: page.body.nextCursor }), 400, 'VALIDATION_FAILED', 'cursor');
      expectProblem(await listHolds(walletId, { limit: 1, status: 'active', cursor: page.body.nextCursor }), 400, 'VALIDATION_FAILED', 'cursor');
      const empty = await listHolds(await fundedWallet(t.http, 0));
      expect(empty.body).toEqual({ data: [], nextCursor: null });
      expect((await listHolds(walletId, { limit: 100 })).body.data).toHaveLength(3);
    });
  });

  describe('POST /v1/holds/{id}/capture', () => {
    it('by default captures the whole hold to revenue:<CUR>, inheriting reference, description and metadata', async () => {
      const buyer = await fundedWallet(t.http, 5_000, { currency: 'GBP' });
      const hold = await placed({ walletId: buyer, amount: 1_200, reference: 'order-9', description: 'Order 9', metadata: { order: 9 } });
      const res = await capture(hold.id);
      expect(res.status).toBe(201);
      expectTransactionShape(res.body);
      expect(res.body).toEqual({
        id: expect.any(String),
        type: 'capture',
        status: 'posted',
        amount: 1_200,
        currency: 'GBP',
        fromWalletId: buyer,
        holdId: hold.id,
        refundedAmount: 0,
        reference: 'order-9',
        description: 'Order 9',
        metadata: { order: 9 },
        createdAt: expect.any(String),
        entries: [
          { walletId: buyer, amount: -1_200, balanceAfter: 3_800, hash: ENTRY_HASH },
          { account: 'revenue:GBP', amount: 1_200 },
        ],
      });
      expect(res.body).not.toHaveProperty('toWalletId');
      expect(await wallet(buyer)).toMatchObject({ balance: 3_800, held: 0, available: 3_800 });
      const after = (await getHold(hold.id)).body;
      expectHoldShape(after);
      expect(after).toMatchObject({ status: 'captured', capturedAmount: 1_200, releasedAt: res.body.createdAt });
      expect((await t.http.get(`/v1/transactions/${res.body.id}`).set(AUTH).expect(200)).body).toEqual(res.body);
      const history = await t.http.get(`/v1/wallets/${buyer}/transactions`).query({ type: 'capture' }).set(AUTH).expect(200);
      expect(history.body.data.map((tx: Body) => tx.id)).toEqual([res.body.id]);
    });

    it('a partial capture to a seller moves only that much and releases the rest of the hold', async () => {
      const buyer = await fundedWallet(t.http, 10_000);
      const seller = await fundedWallet(t.http, 500);
      const hold = await placed({ walletId: buyer, amount: 4_000, reference: 'order-2' });
      await placed({ walletId: buyer, amount: 1_000 });
      const res = await capture(hold.id, { amount: 2_500, toWalletId: seller, reference: 'capture-2', description: 'shipped', metadata: { parcel: 1 } });
      expect(res.status).toBe(201);
      expectTransactionShape(res.body);
      expect(res.body).toMatchObject({
        type: 'capture', amount: 2_500, currency: 'EUR', fromWalletId: buyer, toWalletId: seller, holdId: hold.id,
        reference: 'capture-2', description: 'shipped', metadata: { parcel: 1 },
      });
      expect(res.body.entries).toEqual([
        { walletId: buyer, amount: -2_500, balanceAfter: 7_500, hash: ENTRY_HASH },
        { walletId: seller, amount: 2_500, balanceAfter: 3_000, hash: ENTRY_HASH },
      ]);
      // the other hold still counts; this one's 1_500 uncaptured is available again
      expect(await wallet(buyer)).toMatchObject({ balance: 7_500, held: 1_000, available: 6_500 });
      expect(await wallet(seller)).toMatchObject({ balance: 3_000, held: 0, available: 3_000 });
      expect((await getHold(hold.id)).body).toMatchObject({ status: 'captured', amount: 4_000, capturedAmount: 2_500 });
      await expectHeldIsActiveHolds(buyer);
    });

    it('capturing exactly the hold amount is allowed; one unit more is 422 AMOUNT_EXCEEDS_HOLD and moves nothing', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 300 });
      const over = await capture(hold.id, { amount: 301 });
      expectProblem(over, 422, 'AMOUNT_EXCEEDS_HOLD');
      expect(over.body.detail).toContain(hold.id);
      expect((await getHold(hold.id)).body.status).toBe('active');
      expect(await wallet(buyer)).toMatchObject({ balance: 1_000, held: 300 });
      expect((await capture(hold.id, { amount: 300 })).status).toBe(201);
      expect(await wallet(buyer)).toMatchObject({ balance: 700, held: 0 });
    });

    it('422 SAME_WALLET for a capture to the hold’s own wallet, however the id is spelled', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 100 });
      expectProblem(await capture(hold.id, { toWalletId: buyer }), 422, 'SAME_WALLET');
      expectProblem(await capture(hold.id, { toWalletId: buyer.toUpperCase() }), 422, 'SAME_WALLET');
      expect((await getHold(hold.id)).body.status).toBe('active');
      expect(await wallet(buyer)).toMatchObject({ balance: 1_000, held: 100 });
    });

    it('422 CURRENCY_MISMATCH for a capture to a wallet of another currency', async () => {
      const buyer = await fundedWallet(t.http, 1_000, { currency: 'EUR' });
      const seller = await fundedWallet(t.http, 0, { currency: 'USD' });
      const hold = await placed({ walletId: buyer, amount: 100 });
      expectProblem(await capture(hold.id, { toWalletId: seller }), 422, 'CURRENCY_MISMATCH');
      expect((await getHold(hold.id)).body.status).toBe('active');
      expect(await wallet(seller)).toMatchObject({ balance: 0 });
    });

    it('404 WALLET_NOT_FOUND for a capture to an unknown wallet; 404 HOLD_NOT_FOUND for an unknown hold', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 100 });
      expectProblem(await capture(hold.id, { toWalletId: randomUUID() }), 404, 'WALLET_NOT_FOUND');
      expectProblem(await capture(randomUUID()), 404, 'HOLD_NOT_FOUND');
      expectProblem(await capture(randomUUID(), { toWalletId: buyer }), 404, 'HOLD_NOT_FOUND');
      expect((await getHold(hold.id)).body.status).toBe('active');
    });

    it('422 WALLET_NOT_ACTIVE when the seller or the buyer is frozen; unfreezing lets the capture through', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const hold = await placed({ walletId: buyer, amount: 100 });
      await freeze(seller);
      expectProblem(await capture(hold.id, { toWalletId: seller }), 422, 'WALLET_NOT_ACTIVE');
      await freeze(seller, 'active');
      await freeze(buyer);
      expectProblem(await capture(hold.id, { toWalletId: seller }), 422, 'WALLET_NOT_ACTIVE');
      expect((await getHold(hold.id)).body.status).toBe('active');
      await freeze(buyer, 'active');
      expect((await capture(hold.id, { toWalletId: seller })).status).toBe(201);
      expect(await wallet(seller)).toMatchObject({ balance: 100 });
    });

    it('409 HOLD_NOT_ACTIVE for a second capture, and for a capture of a voided hold', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const captured = await placed({ walletId: buyer, amount: 100 });
      await capture(captured.id, { amount: 40 }).expect(201);
      const again = await capture(captured.id, { amount: 10 });
      expectProblem(again, 409, 'HOLD_NOT_ACTIVE');
      expect(again.body.detail).toContain(captured.id);
      expectProblem(await capture(captured.id), 409, 'HOLD_NOT_ACTIVE');
      const voided = await placed({ walletId: buyer, amount: 100 });
      await voidHold(voided.id).expect(200);
      expectProblem(await capture(voided.id), 409, 'HOLD_NOT_ACTIVE');
      expect(await wallet(buyer)).toMatchObject({ balance: 960, held: 0 });
      const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM transactions WHERE hold_id = ANY($1)', [[captured.id, voided.id]]);
      expect(rows[0].n).toBe(1);
    });

    it.each<[string, Body, string]>([
      ['amount 0', { amount: 0 }, 'amount'],
      ['amount −1', { amount: -1 }, 'amount'],
      ['amount 0.5', { amount: 0.5 }, 'amount'],
      ['amount as a string', { amount: '10' }, 'amount'],
      ['amount null', { amount: null }, 'amount'],
      ['amount 2^53', { amount: 2 ** 53 }, 'amount'],
      ['toWalletId not a uuid', { toWalletId: 'seller' }, 'toWalletId'],
      ['toWalletId null', { toWalletId: null }, 'toWalletId'],
      ['an unknown field', { holdId: randomUUID() }, 'holdId'],
      ['expiresInSeconds (a hold field)', { expiresInSeconds: 10 }, 'expiresInSeconds'],
    ])('400 VALIDATION_FAILED for %s, and the hold stays active', async (_, body, field) => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 100 });
      expectProblem(await capture(hold.id, body), 400, 'VALIDATION_FAILED', field);
      expect((await getHold(hold.id)).body.status).toBe('active');
    });

    it('400 for a hold id that is not a uuid; 401 without a key', async () => {
      expectProblem(await capture('hold-1'), 400, 'VALIDATION_FAILED');
      const buyer = await fundedWallet(t.http, 100);
      const hold = await placed({ walletId: buyer, amount: 100 });
      expectProblem(await t.http.post(`/v1/holds/${hold.id}/capture`).send({}), 401, 'UNAUTHORIZED');
      expect((await getHold(hold.id)).body.status).toBe('active');
    });

    it('422 BALANCE_LIMIT_EXCEEDED when the seller would pass 2^53 − 1', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, Number.MAX_SAFE_INTEGER);
      const hold = await placed({ walletId: buyer, amount: 1 });
      expectProblem(await capture(hold.id, { toWalletId: seller }), 422, 'BALANCE_LIMIT_EXCEEDED');
      expect((await getHold(hold.id)).body.status).toBe('active');
      expect(await wallet(buyer)).toMatchObject({ balance: 1_000, held: 1 });
    });
  });

  describe('POST /v1/holds/{id}/void', () => {
    it('200 Hold voided: the money is available again, nothing is posted', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 600, reference: 'order-v', expiresInSeconds: 600 });
      const res = await voidHold(hold.id);
      expect(res.status).toBe(200);
      expectHoldShape(res.body);
      expect(res.body).toEqual({ ...hold, status: 'voided', releasedAt: expect.any(String) });
      expect(Date.parse(res.body.releasedAt)).toBeGreaterThanOrEqual(Date.parse(hold.createdAt));
      expect((await getHold(hold.id)).body).toEqual(res.body);
      expect(await wallet(buyer)).toMatchObject({ balance: 1_000, held: 0, available: 1_000 });
      expect((await t.http.get(`/v1/wallets/${buyer}/transactions`).set(AUTH).expect(200)).body.data).toHaveLength(1);
      expect((await withdraw(buyer, 1_000)).status).toBe(201);
    });

    it('409 HOLD_NOT_ACTIVE for a voided or captured hold; 404 HOLD_NOT_FOUND; 400 for a bad id; 401 without a key', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 100 });
      await voidHold(hold.id).expect(200);
      const twice = await voidHold(hold.id);
      expectProblem(twice, 409, 'HOLD_NOT_ACTIVE');
      expect(twice.body.detail).toContain('voided');
      const captured = await placed({ walletId: buyer, amount: 100 });
      await capture(captured.id).expect(201);
      expectProblem(await voidHold(captured.id), 409, 'HOLD_NOT_ACTIVE');
      expect((await getHold(captured.id)).body).toMatchObject({ status: 'captured', capturedAmount: 100 });
      expectProblem(await voidHold(randomUUID()), 404, 'HOLD_NOT_FOUND');
      expectProblem(await voidHold('nope'), 400, 'VALIDATION_FAILED');
      const open = await placed({ walletId: buyer, amount: 50 });
      expectProblem(await t.http.post(`/v1/holds/${open.id}/void`), 401, 'UNAUTHORIZED');
      expect(await wallet(buyer)).toMatchObject({ balance: 900, held: 50 });
    });

    it('400 VALIDATION_FAILED for a void with fields in its body (it takes none), and the hold stays active', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 100 });
      const res = await t.http.post(`/v1/holds/${hold.id}/void`).set(AUTH).send({ amount: 50 });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect((await getHold(hold.id)).body.status).toBe('active');
    });
  });

  describe('expiry (manual clock)', () => {
    it('a hold counts until its last millisecond and not after: then reads expired and the money can be spent', async () => {
      const c = takeClock();
      const buyer = await fundedWallet(t.http, 5_000);
      const hold = await placed({ walletId: buyer, amount: 5_000, expiresInSeconds: 60 });
      expect(hold.expiresAt).toBe(new Date(c.now.getTime() + 60_000).toISOString());

      c.advance(59_999);
      expect(await wallet(buyer)).toMatchObject({ balance: 5_000, held: 5_000, available: 0 });
      expect((await getHold(hold.id)).body).toMatchObject({ status: 'active' });
      expect((await getHold(hold.id)).body).not.toHaveProperty('releasedAt');
      expectProblem(await withdraw(buyer, 1), 422, 'INSUFFICIENT_FUNDS');
      expectProblem(await place({ walletId: buyer, amount: 1 }), 422, 'INSUFFICIENT_FUNDS');
      expect((await listHolds(buyer, { status: 'active' })).body.data.map((h: Body) => h.id)).toEqual([hold.id]);

      c.advance(1);
      const after = await wallet(buyer);
      expect(after).toMatchObject({ balance: 5_000, held: 0, available: 5_000 });
      const listed = await t.http.get('/v1/wallets').query({ ownerId: after.ownerId }).set(AUTH).expect(200);
      expect(listed.body.data).toEqual([after]);
      const read = (await getHold(hold.id)).body;
      expectHoldShape(read);
      expect(read).toMatchObject({ status: 'expired', capturedAmount: 0, releasedAt: hold.expiresAt });
      expect((await listHolds(buyer, { status: 'active' })).body.data).toEqual([]);
      expect((await listHolds(buyer, { status: 'expired' })).body.data).toEqual([read]);
      // not swept: the table still says active and stores the held amount
      expect(await stored(hold.id)).toEqual({ status: 'active', released_at: null, held: 5_000 });

      const spend = await withdraw(buyer, 5_000);
      expect(spend.status).toBe(201);
      // the withdrawal released the due hold under its lock
      expect(await stored(hold.id)).toMatchObject({ status: 'expired', held: 0 });
      expect(await wallet(buyer)).toMatchObject({ balance: 0, held: 0, available: 0 });
      expect((await getHold(hold.id)).body).toEqual(read);
    });

    it('a due hold no longer blocks a transfer or a new hold', async () => {
      const c = takeClock();
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      await placed({ walletId: buyer, amount: 800, expiresInSeconds: 30 });
      await placed({ walletId: buyer, amount: 200, expiresInSeconds: 90 });
      expectProblem(await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: buyer, toWalletId: seller, amount: 1 }), 422, 'INSUFFICIENT_FUNDS');
      c.advance(30_000);
      expect(await wallet(buyer)).toMatchObject({ held: 200, available: 800 });
      expectProblem(await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: buyer, toWalletId: seller, amount: 801 }), 422, 'INSUFFICIENT_FUNDS');
      expect((await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: buyer, toWalletId: seller, amount: 500 })).status).toBe(201);
      const again = await placed({ walletId: buyer, amount: 300 });
      expect(again.status).toBe('active');
      expect(await wallet(buyer)).toMatchObject({ balance: 500, held: 500, available: 0 });
      c.advance(60_000);
      expect(await wallet(buyer)).toMatchObject({ balance: 500, held: 300, available: 200 });
      await expectHeldIsActiveHolds(buyer);
    });

    it('capture one millisecond before expiry succeeds; at expiry it is 409 HOLD_NOT_ACTIVE and the hold is released', async () => {
      const c = takeClock();
      const buyer = await fundedWallet(t.http, 1_000);
      const early = await placed({ walletId: buyer, amount: 100, expiresInSeconds: 10 });
      const late = await placed({ walletId: buyer, amount: 200, expiresInSeconds: 10 });
      c.advance(9_999);
      const ok = await capture(early.id);
      expect(ok.status).toBe(201);
      expect((await getHold(early.id)).body).toMatchObject({ status: 'captured', releasedAt: ok.body.createdAt });
      c.advance(1);
      const refused = await capture(late.id);
      expectProblem(refused, 409, 'HOLD_NOT_ACTIVE');
      expect(refused.body.detail).toContain('expired');
      expect(await stored(late.id)).toMatchObject({ status: 'expired', held: 0 });
      expect((await getHold(late.id)).body).toMatchObject({ status: 'expired', releasedAt: late.expiresAt, capturedAmount: 0 });
      expect((await getHold(early.id)).body.status).toBe('captured');
      expect(await wallet(buyer)).toMatchObject({ balance: 900, held: 0, available: 900 });
    });

    it('void at expiry is 409 HOLD_NOT_ACTIVE; one millisecond before it voids', async () => {
      const c = takeClock();
      const buyer = await fundedWallet(t.http, 1_000);
      const a = await placed({ walletId: buyer, amount: 100, expiresInSeconds: 5 });
      const b = await placed({ walletId: buyer, amount: 100, expiresInSeconds: 5 });
      c.advance(4_999);
      expect((await voidHold(a.id)).body).toMatchObject({ status: 'voided', releasedAt: c.now.toISOString() });
      c.advance(1);
      expectProblem(await voidHold(b.id), 409, 'HOLD_NOT_ACTIVE');
      expect((await getHold(b.id)).body.status).toBe('expired');
      expect((await getHold(a.id)).body.status).toBe('voided');
      expect(await wallet(buyer)).toMatchObject({ held: 0, available: 1_000 });
    });

    it('the sweeper marks due holds expired, lowers the stored held, returns how many, and is idempotent', async () => {
      const c = takeClock();
      await sweeper().sweep(); // whatever was due before this test's moment
      const w1 = await fundedWallet(t.http, 1_000);
      const w2 = await fundedWallet(t.http, 1_000);
      const due1 = await placed({ walletId: w1, amount: 100, expiresInSeconds: 60 });
      const due2 = await placed({ walletId: w1, amount: 150, expiresInSeconds: 30 });
      const due3 = await placed({ walletId: w2, amount: 300, expiresInSeconds: 60 });
      const later = await placed({ walletId: w2, amount: 400, expiresInSeconds: 61 });
      const forever = await placed({ walletId: w1, amount: 50 });
      const captured = await placed({ walletId: w1, amount: 10, expiresInSeconds: 60 });
      await capture(captured.id).expect(201);

      expect(await sweeper().sweep()).toBe(0);
      c.advance(60_000);
      const money = async () => (await Promise.all([w1, w2].map(wallet))).map(({ balance, held, available }) => ({ balance, held, available }));
      const before = await money();
      expect(before[0]).toMatchObject({ balance: 990, held: 50, available: 940 });
      expect(before[1]).toMatchObject({ balance: 1_000, held: 400, available: 600 });

      expect(await sweeper().sweep()).toBe(3);
      for (const hold of [due1, due2, due3]) {
        const row = await stored(hold.id);
        expect(row.status).toBe('expired');
        expect(new Date(row.released_at).toISOString()).toBe(hold.expiresAt);
        expect((await getHold(hold.id)).body).toMatchObject({ status: 'expired', releasedAt: hold.expiresAt });
      }
      expect(await stored(due1.id)).toMatchObject({ held: 50 });
      expect(await stored(due3.id)).toMatchObject({ held: 400 });
      expect((await stored(later.id)).status).toBe('active');
      expect((await stored(forever.id)).status).toBe('active');
      expect((await stored(captured.id)).status).toBe('captured');
      // what the API shows did not change: due holds had already stopped counting
      expect(await money()).toEqual(before);

      expect(await sweeper().sweep()).toBe(0);
      expect(await money()).toEqual(before);
      c.advance(1_000);
      expect(await sweeper().sweep()).toBe(1);
      expect(await wallet(w2)).toMatchObject({ held: 0, available: 1_000 });
      expectProblem(await capture(due3.id), 409, 'HOLD_NOT_ACTIVE');
      expectProblem(await voidHold(later.id), 409, 'HOLD_NOT_ACTIVE');
      await expectHeldIsActiveHolds(w1);
      await expectHeldIsActiveHolds(w2);
    });

    it('a hold already released by a payment is not counted again by the sweeper', async () => {
      const c = takeClock();
      await sweeper().sweep();
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 700, expiresInSeconds: 1 });
      c.advance(1_000);
      await withdraw(buyer, 1_000).expect(201);
      expect(await stored(hold.id)).toMatchObject({ status: 'expired', held: 0 });
      expect(await sweeper().sweep()).toBe(0);
      expect(await wallet(buyer)).toMatchObject({ balance: 0, held: 0 });
    });

    it('a due hold is released before a wallet is closed or its overdraft lowered', async () => {
      const c = takeClock();
      const walletId = await newWallet(t.http, { overdraftLimit: 500 });
      await placed({ walletId, amount: 500, expiresInSeconds: 10 });
      expect(await wallet(walletId)).toMatchObject({ balance: 0, held: 500, available: -500 });
      const early = await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ overdraftLimit: 0 });
      expectProblem(early, 422, 'INSUFFICIENT_FUNDS');
      expectProblem(await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ status: 'closed' }), 422, 'WALLET_NOT_EMPTY');
      c.advance(9_999);
      expectProblem(await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ status: 'closed' }), 422, 'WALLET_NOT_EMPTY');
      c.advance(1);
      const lowered = await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ overdraftLimit: 0 });
      expect(lowered.status).toBe(200);
      expect(lowered.body).toMatchObject({ balance: 0, held: 0, available: 0, overdraftLimit: 0 });
      const closed = await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ status: 'closed' });
      expect(closed.status).toBe(200);
    });
  });

  describe('idempotency', () => {
    const expectReplay = (first: Response, again: Response) => {
      expect(again.status).toBe(first.status);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(first.headers['idempotency-replayed']).toBeUndefined();
    };

    it('a repeated hold with the same key replays the first answer and reserves once; another body is 422', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const key = `hold-${randomUUID()}`;
      const body = { walletId: buyer, amount: 300, reference: 'order-i' };
      const first = await place(body).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      const again = await place({ reference: 'order-i', amount: 300, walletId: buyer }).set('Idempotency-Key', key);
      expectReplay(first, again);
      expect(await wallet(buyer)).toMatchObject({ held: 300, available: 700 });
      expect((await listHolds(buyer)).body.data).toHaveLength(1);
      expectProblem(await place({ ...body, amount: 301 }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await voidHold(first.body.id).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect((await getHold(first.body.id)).body.status).toBe('active');
      expect(await wallet(buyer)).toMatchObject({ held: 300 });
    });

    it('a hold replayed after it was captured (and after it would have expired) repeats the first body', async () => {
      const c = takeClock();
      const buyer = await fundedWallet(t.http, 1_000);
      const key = `hold-${randomUUID()}`;
      const first = await place({ walletId: buyer, amount: 100, expiresInSeconds: 60 }).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      await capture(first.body.id, { amount: 10 }).expect(201);
      c.advance(120_000);
      const again = await place({ walletId: buyer, amount: 100, expiresInSeconds: 60 }).set('Idempotency-Key', key);
      expectReplay(first, again);
      expect(again.body.status).toBe('active');
      expect(await wallet(buyer)).toMatchObject({ balance: 990, held: 0 });
    });

    it('a refused hold is replayed as the same refusal even after the wallet could pay', async () => {
      const buyer = await fundedWallet(t.http, 10);
      const key = `hold-${randomUUID()}`;
      const first = await place({ walletId: buyer, amount: 100 }).set('Idempotency-Key', key);
      expectProblem(first, 422, 'INSUFFICIENT_FUNDS');
      await t.http.post(`/v1/wallets/${buyer}/deposits`).set(AUTH).send({ amount: 1_000 }).expect(201);
      const again = await place({ walletId: buyer, amount: 100 }).set('Idempotency-Key', key);
      expect(again.status).toBe(422);
      expect(again.body).toEqual(first.body);
      expect([first.headers['idempotency-replayed'], again.headers['idempotency-replayed']]).toEqual([undefined, 'true']);
      expect(await wallet(buyer)).toMatchObject({ held: 0 });
      expect((await place({ walletId: buyer, amount: 100 }).set('Idempotency-Key', `${key}-2`)).status).toBe(201);
    });

    it('a repeated capture with the same key replays the transaction and moves money once; another body is 422', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const hold = await placed({ walletId: buyer, amount: 500 });
      const key = `cap-${randomUUID()}`;
      const first = await capture(hold.id, { amount: 200, toWalletId: seller }).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      const again = await capture(hold.id, { toWalletId: seller, amount: 200 }).set('Idempotency-Key', key);
      expectReplay(first, again);
      expect(await wallet(seller)).toMatchObject({ balance: 200 });
      expect(await wallet(buyer)).toMatchObject({ balance: 800, held: 0 });
      expectProblem(await capture(hold.id, { amount: 201, toWalletId: seller }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      // a different key is a different request: the hold is no longer active
      expectProblem(await capture(hold.id, { amount: 200, toWalletId: seller }).set('Idempotency-Key', `${key}-2`), 409, 'HOLD_NOT_ACTIVE');
    });

    it('a refused capture is replayed as the same refusal (409 and 422), even once the request could succeed', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 100 });
      const key = `cap-${randomUUID()}`;
      const first = await capture(hold.id, { amount: 101 }).set('Idempotency-Key', key);
      expectProblem(first, 422, 'AMOUNT_EXCEEDS_HOLD');
      const again = await capture(hold.id, { amount: 101 }).set('Idempotency-Key', key);
      expect(again.status).toBe(422);
      expect(again.body).toEqual(first.body);

      const seller = await fundedWallet(t.http, 0);
      await freeze(seller);
      const frozenKey = `cap-${randomUUID()}`;
      const refused = await capture(hold.id, { toWalletId: seller }).set('Idempotency-Key', frozenKey);
      expectProblem(refused, 422, 'WALLET_NOT_ACTIVE');
      await freeze(seller, 'active');
      const replayed = await capture(hold.id, { toWalletId: seller }).set('Idempotency-Key', frozenKey);
      expect(replayed.status).toBe(422);
      expect(replayed.body).toEqual(refused.body);
      expect((await getHold(hold.id)).body.status).toBe('active');

      await voidHold(hold.id).expect(200);
      const notActiveKey = `cap-${randomUUID()}`;
      const gone = await capture(hold.id).set('Idempotency-Key', notActiveKey);
      expectProblem(gone, 409, 'HOLD_NOT_ACTIVE');
      const goneAgain = await capture(hold.id).set('Idempotency-Key', notActiveKey);
      expect(goneAgain.status).toBe(409);
      expect(goneAgain.body).toEqual(gone.body);
    });

    it('a repeated void with the same key replays 200 with the same body; the key on another hold is 422', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const hold = await placed({ walletId: buyer, amount: 100 });
      const other = await placed({ walletId: buyer, amount: 100 });
      const key = `void-${randomUUID()}`;
      const first = await voidHold(hold.id).set('Idempotency-Key', key);
      expect(first.status).toBe(200);
      const again = await voidHold(hold.id).set('Idempotency-Key', key);
      expectReplay(first, again);
      expectProblem(await voidHold(other.id).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect((await getHold(other.id)).body.status).toBe('active');
      // without the key the second void is a new request and is refused
      expectProblem(await voidHold(hold.id), 409, 'HOLD_NOT_ACTIVE');
      expect(await wallet(buyer)).toMatchObject({ held: 100 });
    });

    it('a refused void is replayed as the same refusal', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const key = `void-${randomUUID()}`;
      const unknown = randomUUID();
      const first = await voidHold(unknown).set('Idempotency-Key', key);
      expectProblem(first, 404, 'HOLD_NOT_FOUND');
      const again = await voidHold(unknown).set('Idempotency-Key', key);
      expect(again.status).toBe(404);
      expect(again.body).toEqual(first.body);
      const hold = await placed({ walletId: buyer, amount: 1 });
      await capture(hold.id).expect(201);
      const key2 = `void-${randomUUID()}`;
      const refused = await voidHold(hold.id).set('Idempotency-Key', key2);
      expectProblem(refused, 409, 'HOLD_NOT_ACTIVE');
      expect((await voidHold(hold.id).set('Idempotency-Key', key2)).body).toEqual(refused.body);
    });

    it('keys are scoped per API key: the same key and body under another API key places a second hold', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const key = `scoped-${randomUUID()}`;
      const mine = await place({ walletId: buyer, amount: 100 }).set('Idempotency-Key', key);
      const theirs = await place({ walletId: buyer, amount: 100 }, OTHER_AUTH).set('Idempotency-Key', key);
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.headers['idempotency-replayed']).toBeUndefined();
      expect(await wallet(buyer)).toMatchObject({ held: 200 });
    });

    it('an Idempotency-Key over 255 characters is 400 and reserves nothing', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      expectProblem(await place({ walletId: buyer, amount: 1 }).set('Idempotency-Key', 'k'.repeat(256)), 400, 'VALIDATION_FAILED');
      expect(await wallet(buyer)).toMatchObject({ held: 0 });
    });
  });
});
