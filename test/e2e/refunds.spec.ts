import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { expectProblem } from '../support/expect-problem.js';
import { ManualClock, manualClock } from '../support/manual-clock.js';
import { AUTH, fundedWallet, newWallet, OTHER_API_KEY, startTestApp, TestApp } from '../support/test-app.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';

/** A wallet leg's chain hash (entry_hash.sql): 64 hex digits. */
const ENTRY_HASH = expect.stringMatching(/^[0-9a-f]{64}$/);

/**
 * Refunds over HTTP against the real app and PostgreSQL: of deposits (back to the world), transfers
 * (receiver → payer) and captures (seller or revenue → buyer), in whole or in part, the original's
 * refundedAmount, every refusal the contract names, funds checks that count holds (expiry driven by a
 * manual clock), and idempotent replays. After every test the ledger's invariants are checked with SQL.
 */

const OTHER_AUTH = { Authorization: `Bearer ${OTHER_API_KEY}` };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRANSACTION_FIELDS = ['id', 'type', 'status', 'amount', 'currency', 'walletId', 'fromWalletId', 'toWalletId', 'holdId', 'refundOf', 'refundedAmount', 'reference', 'description', 'metadata', 'createdAt', 'entries'];

type Body = Record<string, any>;

/** Checks a Transaction body against the contract; its two entries must sum to zero. */
function expectTransactionShape(tx: Body): void {
  for (const key of Object.keys(tx)) expect(TRANSACTION_FIELDS).toContain(key);
  for (const key of ['id', 'type', 'status', 'amount', 'currency', 'refundedAmount', 'metadata', 'createdAt', 'entries']) expect(tx).toHaveProperty(key);
  expect(tx.id).toMatch(UUID);
  expect(Number.isSafeInteger(tx.amount)).toBe(true);
  expect(tx.entries).toHaveLength(2);
  expect(tx.entries.reduce((sum: number, e: Body) => sum + e.amount, 0)).toBe(0);
  for (const entry of tx.entries) {
    expect((entry.walletId === undefined) !== (entry.account === undefined)).toBe(true);
    expect(entry.balanceAfter === undefined).toBe(entry.walletId === undefined);
  }
}

describe('refunds (e2e)', () => {
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

  const deposit = (walletId: string, body: Body) => t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).send(body);
  async function posted(request: Promise<Response> | PromiseLike<Response>): Promise<Body> {
    const res = await request;
    expect(res.status).toBe(201);
    return res.body;
  }
  const transfer = (body: Body) => t.http.post('/v1/transfers').set(AUTH).send(body);
  const refund = (transactionId: string, body: Body = {}, headers: Record<string, string> = AUTH) =>
    t.http.post(`/v1/transactions/${transactionId}/refunds`).set(headers).send(body);
  const getTransaction = async (id: string) => (await t.http.get(`/v1/transactions/${id}`).set(AUTH).expect(200)).body;
  async function wallet(id: string): Promise<Body> {
    const res = await t.http.get(`/v1/wallets/${id}`).set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body.available).toBe(res.body.balance - res.body.held);
    return res.body;
  }
  const freeze = async (walletId: string, status = 'frozen') => expect((await t.http.patch(`/v1/wallets/${walletId}`).set(AUTH).send({ status })).status).toBe(200);
  async function capturedTo(buyer: string, amount: number, toWalletId?: string, extra: Body = {}): Promise<Body> {
    const hold = await posted(t.http.post('/v1/holds').set(AUTH).send({ walletId: buyer, amount, ...extra }));
    return posted(t.http.post(`/v1/holds/${hold.id}/capture`).set(AUTH).send(toWalletId ? { toWalletId } : {}));
  }

  describe('what a refund moves', () => {
    it('a deposit refunds from the wallet back to world:<CUR>; by default all of it', async () => {
      const walletId = await newWallet(t.http, { currency: 'USD' });
      const original = await posted(deposit(walletId, { amount: 2_500, reference: 'topup-1', description: 'card' }));
      const res = await refund(original.id);
      expect(res.status).toBe(201);
      expectTransactionShape(res.body);
      expect(res.body).toEqual({
        id: expect.any(String),
        type: 'refund',
        status: 'posted',
        amount: 2_500,
        currency: 'USD',
        walletId,
        refundOf: original.id,
        refundedAmount: 0,
        reference: 'topup-1',
        metadata: {},
        createdAt: expect.any(String),
        entries: [
          { walletId, amount: -2_500, balanceAfter: 0, hash: ENTRY_HASH },
          { account: 'world:USD', amount: 2_500 },
        ],
      });
      expect(await getTransaction(original.id)).toMatchObject({ refundedAmount: 2_500, amount: 2_500, type: 'deposit' });
      expect(await getTransaction(res.body.id)).toEqual(res.body);
      expect(await wallet(walletId)).toMatchObject({ balance: 0, held: 0, available: 0 });
    });

    it('a transfer refunds from the receiver back to the payer, in parts, until nothing is left', async () => {
      const payer = await fundedWallet(t.http, 10_000);
      const receiver = await fundedWallet(t.http, 0);
      const original = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 3_000, reference: 'order-7' }));
      const first = await refund(original.id, { amount: 1_000, reference: 'rma-1', description: 'returned item', metadata: { rma: 1 } });
      expect(first.status).toBe(201);
      expectTransactionShape(first.body);
      expect(first.body).toMatchObject({
        type: 'refund', amount: 1_000, currency: 'EUR', fromWalletId: receiver, toWalletId: payer, refundOf: original.id,
        reference: 'rma-1', description: 'returned item', metadata: { rma: 1 }, refundedAmount: 0,
      });
      expect(first.body).not.toHaveProperty('walletId');
      expect(first.body.entries).toEqual([
        { walletId: receiver, amount: -1_000, balanceAfter: 2_000, hash: ENTRY_HASH },
        { walletId: payer, amount: 1_000, balanceAfter: 8_000, hash: ENTRY_HASH },
      ]);
      expect((await getTransaction(original.id)).refundedAmount).toBe(1_000);

      const second = await posted(refund(original.id, { amount: 1_500 }));
      expect(second).toMatchObject({ amount: 1_500, reference: 'order-7' });
      expect(second).not.toHaveProperty('description');
      expect((await getTransaction(original.id)).refundedAmount).toBe(2_500);

      const tooMuch = await refund(original.id, { amount: 501 });
      expectProblem(tooMuch, 422, 'AMOUNT_EXCEEDS_REFUNDABLE');
      expect(tooMuch.body.detail).toContain(original.id);
      const rest = await posted(refund(original.id));
      expect(rest.amount).toBe(500);
      expect((await getTransaction(original.id)).refundedAmount).toBe(3_000);
      expectProblem(await refund(original.id), 422, 'AMOUNT_EXCEEDS_REFUNDABLE');
      expectProblem(await refund(original.id, { amount: 1 }), 422, 'AMOUNT_EXCEEDS_REFUNDABLE');

      expect(await wallet(payer)).toMatchObject({ balance: 10_000 });
      expect(await wallet(receiver)).toMatchObject({ balance: 0 });
      const refunds = await t.http.get(`/v1/wallets/${payer}/transactions`).query({ type: 'refund' }).set(AUTH).expect(200);
      expect(refunds.body.data.map((tx: Body) => tx.id)).toEqual([rest.id, second.id, first.body.id]);
      const receiverSide = await t.http.get(`/v1/wallets/${receiver}/transactions`).query({ type: 'refund' }).set(AUTH).expect(200);
      expect(receiverSide.body.data).toHaveLength(3);
    });

    it('a capture to a seller refunds from the seller back to the buyer', async () => {
      const buyer = await fundedWallet(t.http, 5_000);
      const seller = await fundedWallet(t.http, 0);
      const capture = await capturedTo(buyer, 2_000, seller, { reference: 'order-c' });
      const res = await refund(capture.id, { amount: 750 });
      expect(res.status).toBe(201);
      expectTransactionShape(res.body);
      expect(res.body).toMatchObject({ type: 'refund', amount: 750, fromWalletId: seller, toWalletId: buyer, refundOf: capture.id, reference: 'order-c' });
      expect(res.body).not.toHaveProperty('holdId');
      expect(res.body.entries).toEqual([
        { walletId: seller, amount: -750, balanceAfter: 1_250, hash: ENTRY_HASH },
        { walletId: buyer, amount: 750, balanceAfter: 3_750, hash: ENTRY_HASH },
      ]);
      expect((await getTransaction(capture.id)).refundedAmount).toBe(750);
      expect(await wallet(buyer)).toMatchObject({ balance: 3_750, held: 0 });
    });

    it('a capture to revenue refunds from revenue:<CUR> back to the buyer; there is no paying wallet', async () => {
      const buyer = await fundedWallet(t.http, 5_000, { currency: 'JPY' });
      const capture = await capturedTo(buyer, 1_800);
      expect(capture).not.toHaveProperty('toWalletId');
      const res = await refund(capture.id);
      expect(res.status).toBe(201);
      expectTransactionShape(res.body);
      expect(res.body).toMatchObject({ type: 'refund', amount: 1_800, currency: 'JPY', toWalletId: buyer, refundOf: capture.id });
      expect(res.body).not.toHaveProperty('fromWalletId');
      expect(res.body).not.toHaveProperty('walletId');
      expect(res.body.entries).toEqual([
        { account: 'revenue:JPY', amount: -1_800 },
        { walletId: buyer, amount: 1_800, balanceAfter: 5_000, hash: ENTRY_HASH },
      ]);
      expect((await getTransaction(capture.id)).refundedAmount).toBe(1_800);
      expect(await wallet(buyer)).toMatchObject({ balance: 5_000 });
      expectProblem(await refund(capture.id, { amount: 1 }), 422, 'AMOUNT_EXCEEDS_REFUNDABLE');
    });

    it('the largest safe amount can be refunded; a request for it against a small original is AMOUNT_EXCEEDS_REFUNDABLE', async () => {
      const walletId = await newWallet(t.http);
      const big = await posted(deposit(walletId, { amount: Number.MAX_SAFE_INTEGER }));
      const small = await posted(transfer({ fromWalletId: walletId, toWalletId: await newWallet(t.http), amount: 10 }));
      expectProblem(await refund(small.id, { amount: Number.MAX_SAFE_INTEGER }), 422, 'AMOUNT_EXCEEDS_REFUNDABLE');
      const res = await refund(big.id, { amount: Number.MAX_SAFE_INTEGER - 10 });
      expect(res.status).toBe(201);
      expect(res.body.amount).toBe(Number.MAX_SAFE_INTEGER - 10);
      expect(await wallet(walletId)).toMatchObject({ balance: 0 });
    });
  });

  describe('refusals', () => {
    it('422 TRANSACTION_NOT_REFUNDABLE for a withdrawal and for a refund', async () => {
      const walletId = await fundedWallet(t.http, 1_000);
      const withdrawal = await posted(t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount: 100 }));
      const res = await refund(withdrawal.id);
      expectProblem(res, 422, 'TRANSACTION_NOT_REFUNDABLE');
      expect(res.body.detail).toContain(withdrawal.id);
      expectProblem(await refund(withdrawal.id, { amount: 1 }), 422, 'TRANSACTION_NOT_REFUNDABLE');
      const other = await fundedWallet(t.http, 0);
      const original = await posted(transfer({ fromWalletId: walletId, toWalletId: other, amount: 100 }));
      const firstRefund = await posted(refund(original.id, { amount: 50 }));
      expectProblem(await refund(firstRefund.id), 422, 'TRANSACTION_NOT_REFUNDABLE');
      expect((await getTransaction(firstRefund.id)).refundedAmount).toBe(0);
      expect((await getTransaction(original.id)).refundedAmount).toBe(50);
      expect(await wallet(walletId)).toMatchObject({ balance: 850 });
    });

    it('404 TRANSACTION_NOT_FOUND for an unknown transaction; a wallet or hold id is not a transaction', async () => {
      const walletId = await fundedWallet(t.http, 100);
      const hold = await posted(t.http.post('/v1/holds').set(AUTH).send({ walletId, amount: 10 }));
      expectProblem(await refund(randomUUID()), 404, 'TRANSACTION_NOT_FOUND');
      expectProblem(await refund(walletId), 404, 'TRANSACTION_NOT_FOUND');
      expectProblem(await refund(hold.id), 404, 'TRANSACTION_NOT_FOUND');
      expectProblem(await refund('nope'), 400, 'VALIDATION_FAILED');
    });

    it('422 INSUFFICIENT_FUNDS when the receiver has spent the money; a partial refund within what is left succeeds', async () => {
      const payer = await fundedWallet(t.http, 1_000);
      const receiver = await fundedWallet(t.http, 0);
      const original = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 600 }));
      await posted(t.http.post(`/v1/wallets/${receiver}/withdrawals`).set(AUTH).send({ amount: 500 }));
      const res = await refund(original.id);
      expectProblem(res, 422, 'INSUFFICIENT_FUNDS');
      expect(res.body.detail).toContain(receiver);
      expect((await getTransaction(original.id)).refundedAmount).toBe(0);
      expect((await refund(original.id, { amount: 100 })).status).toBe(201);
      expect(await wallet(receiver)).toMatchObject({ balance: 0 });
      expect(await wallet(payer)).toMatchObject({ balance: 500 });
      expectProblem(await refund(original.id, { amount: 1 }), 422, 'INSUFFICIENT_FUNDS');
    });

    it('a deposit already spent cannot be refunded to the world', async () => {
      const walletId = await newWallet(t.http);
      const original = await posted(deposit(walletId, { amount: 300 }));
      await posted(t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount: 250 }));
      expectProblem(await refund(original.id), 422, 'INSUFFICIENT_FUNDS');
      expect((await refund(original.id, { amount: 50 })).status).toBe(201);
      expect((await getTransaction(original.id)).refundedAmount).toBe(50);
    });

    it('the receiver may pay a refund out of its overdraft, down to −limit', async () => {
      const payer = await fundedWallet(t.http, 1_000);
      const receiver = await newWallet(t.http, { overdraftLimit: 200 });
      const original = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 500 }));
      await posted(t.http.post(`/v1/wallets/${receiver}/withdrawals`).set(AUTH).send({ amount: 500 }));
      expectProblem(await refund(original.id, { amount: 201 }), 422, 'INSUFFICIENT_FUNDS');
      expect((await refund(original.id, { amount: 200 })).status).toBe(201);
      expect(await wallet(receiver)).toMatchObject({ balance: -200, available: -200 });
    });

    it('a seller that spent a capture cannot refund it', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const capture = await capturedTo(buyer, 400, seller);
      await posted(transfer({ fromWalletId: seller, toWalletId: buyer, amount: 350 }));
      expectProblem(await refund(capture.id), 422, 'INSUFFICIENT_FUNDS');
      expect((await refund(capture.id, { amount: 50 })).status).toBe(201);
    });

    it('422 WALLET_NOT_ACTIVE when the receiver or the payer of the original is frozen', async () => {
      const payer = await fundedWallet(t.http, 1_000);
      const receiver = await fundedWallet(t.http, 0);
      const original = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 100 }));
      await freeze(receiver);
      expectProblem(await refund(original.id), 422, 'WALLET_NOT_ACTIVE');
      await freeze(receiver, 'active');
      await freeze(payer);
      expectProblem(await refund(original.id), 422, 'WALLET_NOT_ACTIVE');
      await freeze(payer, 'active');
      expect((await getTransaction(original.id)).refundedAmount).toBe(0);
      expect((await refund(original.id)).status).toBe(201);
      const dep = await posted(deposit(receiver, { amount: 10 }));
      await freeze(receiver);
      expectProblem(await refund(dep.id), 422, 'WALLET_NOT_ACTIVE');
    });

    it.each<[string, Body, string]>([
      ['amount 0', { amount: 0 }, 'amount'],
      ['amount −1', { amount: -1 }, 'amount'],
      ['amount 2.5', { amount: 2.5 }, 'amount'],
      ['amount as a string', { amount: '5' }, 'amount'],
      ['amount null', { amount: null }, 'amount'],
      ['amount true', { amount: true }, 'amount'],
      ['amount 2^53', { amount: 2 ** 53 }, 'amount'],
      ['an unknown field', { toWalletId: randomUUID() }, 'toWalletId'],
      ['metadata with a nested object', { metadata: { a: { b: 1 } } }, 'metadata'],
      ['description too long', { description: 'd'.repeat(1_001) }, 'description'],
    ])('400 VALIDATION_FAILED for %s, and nothing is refunded', async (_, body, field) => {
      const walletId = await fundedWallet(t.http, 0);
      const original = await posted(deposit(walletId, { amount: 100 }));
      expectProblem(await refund(original.id, body), 400, 'VALIDATION_FAILED', field);
      expect((await getTransaction(original.id)).refundedAmount).toBe(0);
      expect(await wallet(walletId)).toMatchObject({ balance: 100 });
    });

    it('401 without an API key', async () => {
      const walletId = await fundedWallet(t.http, 0);
      const original = await posted(deposit(walletId, { amount: 100 }));
      expectProblem(await t.http.post(`/v1/transactions/${original.id}/refunds`).send({}), 401, 'UNAUTHORIZED');
      expect((await getTransaction(original.id)).refundedAmount).toBe(0);
    });
  });

  describe('holds and refunds', () => {
    it('funds on hold cannot pay a refund; once the hold is voided they can', async () => {
      const payer = await fundedWallet(t.http, 1_000);
      const receiver = await fundedWallet(t.http, 0);
      const original = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 800 }));
      const hold = await posted(t.http.post('/v1/holds').set(AUTH).send({ walletId: receiver, amount: 500 }));
      expectProblem(await refund(original.id, { amount: 301 }), 422, 'INSUFFICIENT_FUNDS');
      expectProblem(await refund(original.id), 422, 'INSUFFICIENT_FUNDS');
      expect((await refund(original.id, { amount: 300 })).status).toBe(201);
      expect(await wallet(receiver)).toMatchObject({ balance: 500, held: 500, available: 0 });
      await t.http.post(`/v1/holds/${hold.id}/void`).set(AUTH).expect(200);
      const rest = await posted(refund(original.id));
      expect(rest.amount).toBe(500);
      expect(await wallet(receiver)).toMatchObject({ balance: 0, held: 0 });
      expect(await wallet(payer)).toMatchObject({ balance: 1_000 });
    });

    it('a hold on a deposit counts until it expires (manual clock); then the deposit can be refunded', async () => {
      clock = manualClock(t.app, new Date(Date.UTC(2050, 5, 1)));
      const walletId = await newWallet(t.http);
      const original = await posted(deposit(walletId, { amount: 1_000 }));
      await posted(t.http.post('/v1/holds').set(AUTH).send({ walletId, amount: 800, expiresInSeconds: 60 }));
      expectProblem(await refund(original.id, { amount: 500 }), 422, 'INSUFFICIENT_FUNDS');
      clock.advance(59_999);
      expectProblem(await refund(original.id, { amount: 201 }), 422, 'INSUFFICIENT_FUNDS');
      clock.advance(1);
      const res = await refund(original.id, { amount: 500 });
      expect(res.status).toBe(201);
      expect(res.body.createdAt).toBe(clock.now.toISOString());
      expect(await wallet(walletId)).toMatchObject({ balance: 500, held: 0, available: 500 });
      const { rows } = await t.db.pool.query(`SELECT status FROM holds WHERE wallet_id = $1`, [walletId]);
      expect(rows).toEqual([{ status: 'expired' }]);
    });

    it('the buyer refunded by a seller can spend it at once; the buyer’s own holds do not block receiving', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const capture = await capturedTo(buyer, 1_000, seller);
      // the buyer has nothing left to hold
      expectProblem(await t.http.post('/v1/holds').set(AUTH).send({ walletId: buyer, amount: 1 }), 422, 'INSUFFICIENT_FUNDS');
      await posted(refund(capture.id, { amount: 400 }));
      expect(await wallet(buyer)).toMatchObject({ balance: 400, available: 400 });
      expect((await t.http.post('/v1/holds').set(AUTH).send({ walletId: buyer, amount: 400 })).status).toBe(201);
      expect((await refund(capture.id, { amount: 600 })).status).toBe(201);
      expect(await wallet(buyer)).toMatchObject({ balance: 1_000, held: 400, available: 600 });
    });
  });

  describe('idempotency', () => {
    const expectReplay = (first: Response, again: Response) => {
      expect(again.status).toBe(first.status);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(first.headers['idempotency-replayed']).toBeUndefined();
    };

    it('a repeated refund with the same key replays it and refunds once; another body is 422', async () => {
      const payer = await fundedWallet(t.http, 1_000);
      const receiver = await fundedWallet(t.http, 0);
      const original = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 500 }));
      const key = `refund-${randomUUID()}`;
      const first = await refund(original.id, { amount: 200, reference: 'rma-9' }).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      const again = await refund(original.id, { reference: 'rma-9', amount: 200 }).set('Idempotency-Key', key);
      expectReplay(first, again);
      expect((await getTransaction(original.id)).refundedAmount).toBe(200);
      expect(await wallet(receiver)).toMatchObject({ balance: 300 });
      expectProblem(await refund(original.id, { amount: 201, reference: 'rma-9' }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      const other = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 100 }));
      expectProblem(await refund(other.id, { amount: 200, reference: 'rma-9' }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect((await getTransaction(other.id)).refundedAmount).toBe(0);
      expect((await getTransaction(original.id)).refundedAmount).toBe(200);
    });

    it('a refused refund is replayed as the same refusal, even after the receiver could pay', async () => {
      const payer = await fundedWallet(t.http, 1_000);
      const receiver = await fundedWallet(t.http, 0);
      const original = await posted(transfer({ fromWalletId: payer, toWalletId: receiver, amount: 500 }));
      await posted(t.http.post(`/v1/wallets/${receiver}/withdrawals`).set(AUTH).send({ amount: 500 }));
      const key = `refund-${randomUUID()}`;
      const first = await refund(original.id).set('Idempotency-Key', key);
      expectProblem(first, 422, 'INSUFFICIENT_FUNDS');
      await posted(deposit(receiver, { amount: 500 }));
      const again = await refund(original.id).set('Idempotency-Key', key);
      expect(again.status).toBe(422);
      expect(again.body).toEqual(first.body);
      expect((await getTransaction(original.id)).refundedAmount).toBe(0);
      // an AMOUNT_EXCEEDS_REFUNDABLE refusal replays too
      const key2 = `refund-${randomUUID()}`;
      const over = await refund(original.id, { amount: 501 }).set('Idempotency-Key', key2);
      expectProblem(over, 422, 'AMOUNT_EXCEEDS_REFUNDABLE');
      expect((await refund(original.id, { amount: 501 }).set('Idempotency-Key', key2)).body).toEqual(over.body);
      expect((await refund(original.id).set('Idempotency-Key', `${key}-new`)).status).toBe(201);
    });

    it('keys are scoped per API key: the same key and body under another API key refunds again', async () => {
      const walletId = await fundedWallet(t.http, 0);
      const original = await posted(deposit(walletId, { amount: 100 }));
      const key = `refund-${randomUUID()}`;
      const mine = await refund(original.id, { amount: 30 }).set('Idempotency-Key', key);
      const theirs = await refund(original.id, { amount: 30 }, OTHER_AUTH).set('Idempotency-Key', key);
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect((await getTransaction(original.id)).refundedAmount).toBe(60);
    });

    it('replaying the original transfer after a partial refund returns the first response unchanged', async () => {
      const payer = await fundedWallet(t.http, 1_000);
      const receiver = await fundedWallet(t.http, 0);
      const key = `transfer-${randomUUID()}`;
      const body = { fromWalletId: payer, toWalletId: receiver, amount: 400 };
      const first = await transfer(body).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      expect(first.body.refundedAmount).toBe(0);
      await posted(refund(first.body.id, { amount: 150 }));
      const again = await transfer(body).set('Idempotency-Key', key);
      expectReplay(first, again);
      expect(await wallet(receiver)).toMatchObject({ balance: 250 });
    });

    it('replaying a capture after a partial refund returns the first response unchanged', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const hold = await posted(t.http.post('/v1/holds').set(AUTH).send({ walletId: buyer, amount: 300 }));
      const key = `capture-${randomUUID()}`;
      const first = await t.http.post(`/v1/holds/${hold.id}/capture`).set(AUTH).set('Idempotency-Key', key).send({ toWalletId: seller });
      expect(first.status).toBe(201);
      await posted(refund(first.body.id, { amount: 100 }));
      const again = await t.http.post(`/v1/holds/${hold.id}/capture`).set(AUTH).set('Idempotency-Key', key).send({ toWalletId: seller });
      expectReplay(first, again);
      expect(await wallet(seller)).toMatchObject({ balance: 200 });
    });
  });
});
