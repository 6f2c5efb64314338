import { HoldsSweeper } from '../../src/ledger/holds/holds.sweeper.js';
import { manualClock } from '../support/manual-clock.js';
import { AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';

/** A wallet leg's chain hash (entry_hash.sql): 64 hex digits. */
const ENTRY_HASH = expect.stringMatching(/^[0-9a-f]{64}$/);

/** The order flow the README shows: reserve → capture to the seller → partial refund, with expiry and a batch. */
describe('order flow', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
  });
  afterAll(() => t.close());

  const wallet = async (id: string) => (await t.http.get(`/v1/wallets/${id}`).set(AUTH).expect(200)).body;

  it('reserves, captures part to the seller, releases the rest, and refunds part back', async () => {
    const buyer = await fundedWallet(t.http, 'buyer-1', 10_000);
    const seller = await fundedWallet(t.http, 'seller-1', 0);

    const hold = await t.http.post('/v1/holds').set(AUTH).send({ walletId: buyer, amount: 4_000, reference: 'shop-7:order-1' }).expect(201);
    expect(hold.body).toMatchObject({ walletId: buyer, amount: 4_000, capturedAmount: 0, status: 'active', currency: 'EUR' });
    expect(await wallet(buyer)).toMatchObject({ balance: 10_000, held: 4_000, available: 6_000 });

    const capture = await t.http.post(`/v1/holds/${hold.body.id}/capture`).set(AUTH).send({ amount: 3_000, toWalletId: seller }).expect(201);
    expect(capture.body).toMatchObject({ type: 'capture', amount: 3_000, fromWalletId: buyer, toWalletId: seller, holdId: hold.body.id, reference: 'shop-7:order-1' });
    expect(capture.body.entries).toEqual([
      { walletId: buyer, amount: -3_000, balanceAfter: 7_000, hash: ENTRY_HASH },
      { walletId: seller, amount: 3_000, balanceAfter: 3_000, hash: ENTRY_HASH },
    ]);
    expect(await wallet(buyer)).toMatchObject({ balance: 7_000, held: 0, available: 7_000 });
    expect((await t.http.get(`/v1/holds/${hold.body.id}`).set(AUTH).expect(200)).body).toMatchObject({ status: 'captured', capturedAmount: 3_000 });

    const refund = await t.http.post(`/v1/transactions/${capture.body.id}/refunds`).set(AUTH).send({ amount: 1_000 }).expect(201);
    expect(refund.body).toMatchObject({ type: 'refund', amount: 1_000, refundOf: capture.body.id, fromWalletId: seller, toWalletId: buyer });
    expect((await t.http.get(`/v1/transactions/${capture.body.id}`).set(AUTH).expect(200)).body.refundedAmount).toBe(1_000);
    expect(await wallet(buyer)).toMatchObject({ balance: 8_000 });
    expect(await wallet(seller)).toMatchObject({ balance: 2_000 });

    const rest = await t.http.post(`/v1/transactions/${capture.body.id}/refunds`).set(AUTH).send({}).expect(201);
    expect(rest.body.amount).toBe(2_000);
    const none = await t.http.post(`/v1/transactions/${capture.body.id}/refunds`).set(AUTH).send({}).expect(422);
    expect(none.body.code).toBe('AMOUNT_EXCEEDS_REFUNDABLE');
  });

  it('a hold past its expiry reads as expired and stops counting in held at once, then the sweeper marks it', async () => {
    const buyer = await fundedWallet(t.http, 'buyer-2', 5_000);
    const clock = manualClock(t.app);
    const hold = await t.http.post('/v1/holds').set(AUTH).send({ walletId: buyer, amount: 5_000, expiresInSeconds: 60 }).expect(201);
    expect(await wallet(buyer)).toMatchObject({ held: 5_000, available: 0 });
    const spend = await t.http.post(`/v1/wallets/${buyer}/withdrawals`).set(AUTH).send({ amount: 1 }).expect(422);
    expect(spend.body.code).toBe('INSUFFICIENT_FUNDS');

    try {
      clock.advance(59_999);
      expect(await wallet(buyer)).toMatchObject({ held: 5_000, available: 0 });
      clock.advance(1);
      expect(await wallet(buyer)).toMatchObject({ balance: 5_000, held: 0, available: 5_000 });
      expect((await t.http.get(`/v1/holds/${hold.body.id}`).set(AUTH).expect(200)).body).toMatchObject({ status: 'expired', releasedAt: clock.now.toISOString() });
      // Not swept yet: the table still says active; the sweeper marks it and lowers the stored held.
      const stored = async () => (await t.db.pool.query('SELECT h.status, w.held FROM holds h JOIN wallets w ON w.id = h.wallet_id WHERE h.id = $1', [hold.body.id])).rows[0];
      expect(await stored()).toEqual({ status: 'active', held: '5000' });
      expect(await t.app.get(HoldsSweeper).sweep()).toBe(1);
      expect(await stored()).toEqual({ status: 'expired', held: '0' });
      const late = await t.http.post(`/v1/holds/${hold.body.id}/capture`).set(AUTH).send({}).expect(409);
      expect(late.body.code).toBe('HOLD_NOT_ACTIVE');
      await t.http.post(`/v1/wallets/${buyer}/withdrawals`).set(AUTH).send({ amount: 5_000 }).expect(201);
    } finally {
      clock.restore();
    }
  });

  it('a batch applies all or nothing', async () => {
    const a = await fundedWallet(t.http, 'batch-a', 1_000);
    const b = await fundedWallet(t.http, 'batch-b', 0);
    const ok = await t.http.post('/v1/batches').set(AUTH).send({ operations: [
      { type: 'deposit', walletId: a, amount: 500 },
      { type: 'transfer', fromWalletId: a, toWalletId: b, amount: 1_200 },
      { type: 'hold', walletId: b, amount: 200, expiresInSeconds: 600 },
    ] }).expect(201);
    expect(ok.body.operations.map((op: { type: string }) => op.type)).toEqual(['deposit', 'transfer', 'hold']);
    expect(await wallet(a)).toMatchObject({ balance: 300 });
    expect(await wallet(b)).toMatchObject({ balance: 1_200, held: 200, available: 1_000 });

    const refused = await t.http.post('/v1/batches').set(AUTH).send({ operations: [
      { type: 'deposit', walletId: a, amount: 100 },
      { type: 'withdrawal', walletId: b, amount: 5_000 },
    ] }).expect(422);
    expect(refused.body.code).toBe('INSUFFICIENT_FUNDS');
    expect(refused.body.detail).toMatch(/^operations\[1\]/);
    expect(await wallet(a)).toMatchObject({ balance: 300 });
  });
});
