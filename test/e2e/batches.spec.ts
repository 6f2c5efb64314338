import { randomUUID } from 'node:crypto';
import { expectProblem } from '../support/expect-problem.js';
import { ManualClock, manualClock } from '../support/manual-clock.js';
import { AUTH, fundedWallet, newWallet, startTestApp, TestApp } from '../support/test-app.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';

/** A wallet leg's chain hash (entry_hash.sql): 64 hex digits. */
const ENTRY_HASH = expect.stringMatching(/^[0-9a-f]{64}$/);

/**
 * POST /v1/batches over HTTP against the real app and PostgreSQL: every operation type, operations
 * seeing the effects of the ones before them, all-or-nothing refusals named `operations[i]: …`, the
 * per-type field rules (400), and idempotent replays. After every test the ledger's invariants are
 * checked with SQL.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Body = Record<string, any>;

describe('batches (e2e)', () => {
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

  const batch = (operations: unknown, headers: Record<string, string> = AUTH) => t.http.post('/v1/batches').set(headers).send({ operations });
  async function wallet(id: string): Promise<Body> {
    const res = await t.http.get(`/v1/wallets/${id}`).set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body.available).toBe(res.body.balance - res.body.held);
    return res.body;
  }
  const money = async (...ids: string[]) =>
    Promise.all(ids.map(async (id) => {
      const { balance, held, available } = await wallet(id);
      return { balance, held, available };
    }));
  async function placedHold(walletId: string, amount: number, extra: Body = {}): Promise<Body> {
    const res = await t.http.post('/v1/holds').set(AUTH).send({ walletId, amount, ...extra });
    expect(res.status).toBe(201);
    return res.body;
  }
  const getHold = async (id: string) => (await t.http.get(`/v1/holds/${id}`).set(AUTH).expect(200)).body;
  /** Counts of what a refused batch must not have left behind. */
  const counts = async () =>
    (await t.db.pool.query(`SELECT (SELECT count(*) FROM transactions)::int AS transactions, (SELECT count(*) FROM entries)::int AS entries,
                                   (SELECT count(*) FROM holds)::int AS holds,
                                   (SELECT count(*) FROM holds WHERE status <> 'active')::int AS ended`)).rows[0];

  describe('applying operations', () => {
    it('201: every type in one batch, results in order with their transaction or hold', async () => {
      const a = await fundedWallet(t.http, 10_000);
      const b = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const existing = await placedHold(b, 400, { reference: 'order-x' });
      const res = await batch([
        { type: 'deposit', walletId: a, amount: 500, reference: 'topup-1', metadata: { src: 'card' } },
        { type: 'withdrawal', walletId: a, amount: 300, description: 'payout' },
        { type: 'transfer', fromWalletId: a, toWalletId: b, amount: 1_200 },
        { type: 'hold', walletId: a, amount: 700, expiresInSeconds: 900, reference: 'order-y' },
        { type: 'capture', holdId: existing.id, amount: 250, toWalletId: seller },
      ]);
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'id', 'operations']);
      expect(res.body.id).toMatch(UUID);
      expect(Number.isNaN(Date.parse(res.body.createdAt))).toBe(false);
      const ops = res.body.operations as Body[];
      expect(ops.map((op) => op.type)).toEqual(['deposit', 'withdrawal', 'transfer', 'hold', 'capture']);
      for (const op of ops) expect(Object.keys(op).sort()).toEqual(op.type === 'hold' ? ['hold', 'type'] : ['transaction', 'type']);

      expect(ops[0].transaction).toMatchObject({ type: 'deposit', walletId: a, amount: 500, reference: 'topup-1', metadata: { src: 'card' }, refundedAmount: 0 });
      expect(ops[0].transaction.entries).toEqual([{ account: 'world:EUR', amount: -500 }, { walletId: a, amount: 500, balanceAfter: 10_500, hash: ENTRY_HASH }]);
      expect(ops[1].transaction).toMatchObject({ type: 'withdrawal', walletId: a, amount: 300, description: 'payout', metadata: {} });
      expect(ops[1].transaction.entries).toEqual([{ walletId: a, amount: -300, balanceAfter: 10_200, hash: ENTRY_HASH }, { account: 'world:EUR', amount: 300 }]);
      expect(ops[2].transaction).toMatchObject({ type: 'transfer', fromWalletId: a, toWalletId: b, amount: 1_200 });
      expect(ops[2].transaction.entries).toEqual([
        { walletId: a, amount: -1_200, balanceAfter: 9_000, hash: ENTRY_HASH },
        { walletId: b, amount: 1_200, balanceAfter: 2_200, hash: ENTRY_HASH },
      ]);
      expect(ops[3].hold).toEqual({
        id: expect.stringMatching(UUID), walletId: a, currency: 'EUR', amount: 700, capturedAmount: 0, status: 'active',
        expiresAt: new Date(Date.parse(res.body.createdAt) + 900_000).toISOString(), reference: 'order-y', metadata: {}, createdAt: res.body.createdAt,
      });
      expect(ops[4].transaction).toMatchObject({ type: 'capture', holdId: existing.id, fromWalletId: b, toWalletId: seller, amount: 250, reference: 'order-x' });
      expect(ops[4].transaction.entries).toEqual([
        { walletId: b, amount: -250, balanceAfter: 1_950, hash: ENTRY_HASH },
        { walletId: seller, amount: 250, balanceAfter: 250, hash: ENTRY_HASH },
      ]);
      for (const op of ops) expect(op.transaction?.createdAt ?? op.hold.createdAt).toBe(res.body.createdAt);

      // every result is what the ledger now says
      for (const op of ops.filter((o) => o.transaction)) {
        expect((await t.http.get(`/v1/transactions/${op.transaction.id}`).set(AUTH).expect(200)).body).toEqual(op.transaction);
      }
      expect(await getHold(ops[3].hold.id)).toEqual(ops[3].hold);
      expect(await getHold(existing.id)).toMatchObject({ status: 'captured', capturedAmount: 250 });
      expect(await money(a, b, seller)).toEqual([
        { balance: 9_000, held: 700, available: 8_300 },
        { balance: 1_950, held: 0, available: 1_950 },
        { balance: 250, held: 0, available: 250 },
      ]);
    });

    it('operations see the ones before them: money deposited or received earlier in the batch can be spent later', async () => {
      const a = await fundedWallet(t.http, 0);
      const b = await fundedWallet(t.http, 0);
      const c = await fundedWallet(t.http, 0);
      const res = await batch([
        { type: 'deposit', walletId: a, amount: 1_000 },
        { type: 'transfer', fromWalletId: a, toWalletId: b, amount: 1_000 },
        { type: 'transfer', fromWalletId: b, toWalletId: c, amount: 600 },
        { type: 'hold', walletId: c, amount: 600 },
        { type: 'withdrawal', walletId: b, amount: 400 },
      ]);
      expect(res.status).toBe(201);
      expect(await money(a, b, c)).toEqual([
        { balance: 0, held: 0, available: 0 },
        { balance: 0, held: 0, available: 0 },
        { balance: 600, held: 600, available: 0 },
      ]);
    });

    it('a hold placed earlier in the batch counts for the operations after it', async () => {
      const a = await fundedWallet(t.http, 1_000);
      const before = await money(a);
      const res = await batch([
        { type: 'hold', walletId: a, amount: 800 },
        { type: 'withdrawal', walletId: a, amount: 201 },
      ]);
      expectProblem(res, 422, 'INSUFFICIENT_FUNDS');
      expect(res.body.detail).toMatch(/^operations\[1\]: /);
      expect(await money(a)).toEqual(before);
      expect((await batch([{ type: 'hold', walletId: a, amount: 800 }, { type: 'withdrawal', walletId: a, amount: 200 }])).status).toBe(201);
      expect(await money(a)).toEqual([{ balance: 800, held: 800, available: 0 }]);
    });

    it('a capture in a batch defaults to the whole hold and the revenue account', async () => {
      const buyer = await fundedWallet(t.http, 1_000, { currency: 'CHF' });
      const hold = await placedHold(buyer, 350, { description: 'basket', metadata: { basket: 'b1' } });
      const res = await batch([{ type: 'capture', holdId: hold.id }]);
      expect(res.status).toBe(201);
      const tx = res.body.operations[0].transaction;
      expect(tx).toMatchObject({ type: 'capture', amount: 350, currency: 'CHF', fromWalletId: buyer, holdId: hold.id, description: 'basket', metadata: { basket: 'b1' } });
      expect(tx).not.toHaveProperty('toWalletId');
      expect(tx.entries).toEqual([{ walletId: buyer, amount: -350, balanceAfter: 650, hash: ENTRY_HASH }, { account: 'revenue:CHF', amount: 350 }]);
      expect(await money(buyer)).toEqual([{ balance: 650, held: 0, available: 650 }]);
    });

    it('the captured money can be spent by the seller later in the same batch; the released rest by the buyer', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const hold = await placedHold(buyer, 1_000);
      const res = await batch([
        { type: 'capture', holdId: hold.id, toWalletId: seller, amount: 700 },
        { type: 'withdrawal', walletId: seller, amount: 700 },
        { type: 'withdrawal', walletId: buyer, amount: 300 },
      ]);
      expect(res.status).toBe(201);
      expect(await money(buyer, seller)).toEqual([
        { balance: 0, held: 0, available: 0 },
        { balance: 0, held: 0, available: 0 },
      ]);
    });

    it('100 operations are accepted and applied in order', async () => {
      const a = await fundedWallet(t.http, 0);
      const operations = Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0 ? { type: 'deposit', walletId: a, amount: 2 * i + 2 } : { type: 'withdrawal', walletId: a, amount: i },
      );
      const res = await batch(operations);
      expect(res.status).toBe(201);
      expect(res.body.operations).toHaveLength(100);
      const afters = res.body.operations.map((op: Body) => op.transaction.entries.find((e: Body) => e.walletId === a).balanceAfter);
      let running = 0;
      expect(afters).toEqual(operations.map((op) => (running += op.type === 'deposit' ? op.amount : -op.amount)));
      expect(running).toBe(2_500);
      expect(await money(a)).toEqual([{ balance: 2_500, held: 0, available: 2_500 }]);
    });

    it('a hold placed by a batch expires like any other (manual clock)', async () => {
      clock = manualClock(t.app, new Date(Date.UTC(2055, 0, 1)));
      const a = await fundedWallet(t.http, 500);
      const res = await batch([{ type: 'hold', walletId: a, amount: 500, expiresInSeconds: 60 }]);
      expect(res.status).toBe(201);
      const hold = res.body.operations[0].hold;
      expect(hold).toMatchObject({ createdAt: clock.now.toISOString(), expiresAt: new Date(clock.now.getTime() + 60_000).toISOString() });
      clock.advance(59_999);
      expect(await money(a)).toEqual([{ balance: 500, held: 500, available: 0 }]);
      clock.advance(1);
      expect(await money(a)).toEqual([{ balance: 500, held: 0, available: 500 }]);
      expect(await getHold(hold.id)).toMatchObject({ status: 'expired', releasedAt: hold.expiresAt });
      const late = await batch([{ type: 'capture', holdId: hold.id }]);
      expectProblem(late, 409, 'HOLD_NOT_ACTIVE');
      expect(late.body.detail).toMatch(/^operations\[0\]: /);
      expect((await batch([{ type: 'withdrawal', walletId: a, amount: 500 }])).status).toBe(201);
    });
  });

  describe('all or nothing', () => {
    it.each<[string, number, string, (w: Body) => Body[]]>([
      ['a withdrawal beyond available', 422, 'INSUFFICIENT_FUNDS', (w) => [{ type: 'withdrawal', walletId: w.b, amount: 5_000 }]],
      ['a transfer beyond available', 422, 'INSUFFICIENT_FUNDS', (w) => [{ type: 'transfer', fromWalletId: w.b, toWalletId: w.a, amount: 5_000 }]],
      ['a hold beyond available', 422, 'INSUFFICIENT_FUNDS', (w) => [{ type: 'hold', walletId: w.b, amount: 5_000 }]],
      ['a deposit to an unknown wallet', 404, 'WALLET_NOT_FOUND', () => [{ type: 'deposit', walletId: randomUUID(), amount: 1 }]],
      ['a hold on an unknown wallet', 404, 'WALLET_NOT_FOUND', () => [{ type: 'hold', walletId: randomUUID(), amount: 1 }]],
      ['a capture to an unknown wallet', 404, 'WALLET_NOT_FOUND', (w) => [{ type: 'capture', holdId: w.hold, toWalletId: randomUUID() }]],
      ['a capture of an unknown hold', 404, 'HOLD_NOT_FOUND', () => [{ type: 'capture', holdId: randomUUID() }]],
      ['a capture of a voided hold', 409, 'HOLD_NOT_ACTIVE', (w) => [{ type: 'capture', holdId: w.voided }]],
      ['a second capture of the same hold', 409, 'HOLD_NOT_ACTIVE', (w) => [{ type: 'capture', holdId: w.hold, amount: 10 }, { type: 'capture', holdId: w.hold, amount: 10 }]],
      ['a capture beyond the hold', 422, 'AMOUNT_EXCEEDS_HOLD', (w) => [{ type: 'capture', holdId: w.hold, amount: 301 }]],
      ['a capture to the hold’s own wallet', 422, 'SAME_WALLET', (w) => [{ type: 'capture', holdId: w.hold, toWalletId: w.a }]],
      ['a capture to another currency', 422, 'CURRENCY_MISMATCH', (w) => [{ type: 'capture', holdId: w.hold, toWalletId: w.usd }]],
      ['a transfer between currencies', 422, 'CURRENCY_MISMATCH', (w) => [{ type: 'transfer', fromWalletId: w.a, toWalletId: w.usd, amount: 1 }]],
      ['a transfer to itself', 422, 'SAME_WALLET', (w) => [{ type: 'transfer', fromWalletId: w.a, toWalletId: w.a.toUpperCase(), amount: 1 }]],
      ['a deposit to a frozen wallet', 422, 'WALLET_NOT_ACTIVE', (w) => [{ type: 'deposit', walletId: w.frozen, amount: 1 }]],
      ['a hold on a frozen wallet', 422, 'WALLET_NOT_ACTIVE', (w) => [{ type: 'hold', walletId: w.frozen, amount: 1 }]],
      ['a capture to a frozen wallet', 422, 'WALLET_NOT_ACTIVE', (w) => [{ type: 'capture', holdId: w.hold, toWalletId: w.frozen }]],
      ['a deposit past the largest balance', 422, 'BALANCE_LIMIT_EXCEEDED', (w) => [{ type: 'deposit', walletId: w.a, amount: Number.MAX_SAFE_INTEGER }]],
    ])('%s after good operations → %i %s naming the operation; nothing is applied', async (_, status, code, failing) => {
      const a = await fundedWallet(t.http, 1_000);
      const b = await fundedWallet(t.http, 1_000);
      const usd = await fundedWallet(t.http, 0, { currency: 'USD' });
      const frozen = await fundedWallet(t.http, 0);
      await t.http.patch(`/v1/wallets/${frozen}`).set(AUTH).send({ status: 'frozen' }).expect(200);
      const hold = (await placedHold(a, 300)).id;
      const voided = (await placedHold(a, 100)).id;
      await t.http.post(`/v1/holds/${voided}/void`).set(AUTH).expect(200);
      const good: Body[] = [
        { type: 'deposit', walletId: a, amount: 100 },
        { type: 'transfer', fromWalletId: a, toWalletId: b, amount: 250 },
        { type: 'hold', walletId: b, amount: 50 },
        { type: 'withdrawal', walletId: b, amount: 10 },
      ];
      const bad = failing({ a, b, usd, frozen, hold, voided });
      const beforeMoney = await money(a, b, usd, frozen);
      const beforeCounts = await counts();
      const res = await batch([...good, ...bad]);
      expectProblem(res, status, code);
      const index = good.length + bad.length - 1;
      expect(res.body.detail).toMatch(new RegExp(`^operations\\[${index}\\]: `));
      expect(await money(a, b, usd, frozen)).toEqual(beforeMoney);
      expect(await counts()).toEqual(beforeCounts);
      expect(await getHold(hold)).toMatchObject({ status: 'active', capturedAmount: 0 });
    });

    it('a refusal in the first operation names operations[0]', async () => {
      const a = await fundedWallet(t.http, 0);
      const res = await batch([{ type: 'withdrawal', walletId: a, amount: 1 }, { type: 'deposit', walletId: a, amount: 1 }]);
      expectProblem(res, 422, 'INSUFFICIENT_FUNDS');
      expect(res.body.detail).toMatch(/^operations\[0\]: /);
      expect(res.body.detail).toContain(a);
      expect(await money(a)).toEqual([{ balance: 0, held: 0, available: 0 }]);
    });

    it('a refused batch that captured a hold before the refusal leaves the hold active and the money where it was', async () => {
      const buyer = await fundedWallet(t.http, 1_000);
      const seller = await fundedWallet(t.http, 0);
      const hold = await placedHold(buyer, 600);
      const res = await batch([
        { type: 'capture', holdId: hold.id, toWalletId: seller },
        { type: 'withdrawal', walletId: seller, amount: 601 },
      ]);
      expectProblem(res, 422, 'INSUFFICIENT_FUNDS');
      expect(res.body.detail).toMatch(/^operations\[1\]: /);
      expect(await getHold(hold.id)).toMatchObject({ status: 'active', capturedAmount: 0 });
      expect(await money(buyer, seller)).toEqual([
        { balance: 1_000, held: 600, available: 400 },
        { balance: 0, held: 0, available: 0 },
      ]);
      const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM transactions WHERE hold_id = $1', [hold.id]);
      expect(rows[0].n).toBe(0);
      expect((await t.http.post(`/v1/holds/${hold.id}/capture`).set(AUTH).send({ toWalletId: seller })).status).toBe(201);
    });
  });

  describe('validation (400, nothing applied)', () => {
    let a: string;
    let b: string;
    beforeAll(async () => {
      a = await fundedWallet(t.http, 1_000);
      b = await fundedWallet(t.http, 1_000);
    });

    it.each<[string, () => unknown, string | undefined]>([
      ['no operations field', () => undefined, 'operations'],
      ['operations not an array', () => ({ type: 'deposit', walletId: a, amount: 1 }), 'operations'],
      ['an empty list', () => [], 'operations'],
      ['101 operations', () => Array.from({ length: 101 }, () => ({ type: 'deposit', walletId: a, amount: 1 })), 'operations'],
      ['an unknown type', () => [{ type: 'refund', walletId: a, amount: 1 }], 'operations.0.type'],
      ['no type', () => [{ walletId: a, amount: 1 }], 'operations.0.type'],
      ['an operation that is not an object', () => [42], undefined],
      ['a deposit without amount', () => [{ type: 'deposit', walletId: a }], 'operations.0.amount'],
      ['a deposit without walletId', () => [{ type: 'deposit', amount: 1 }], 'operations.0.walletId'],
      ['a transfer without toWalletId', () => [{ type: 'transfer', fromWalletId: a, amount: 1 }], 'operations.0.toWalletId'],
      ['a capture without holdId', () => [{ type: 'capture', amount: 1 }], 'operations.0.holdId'],
      ['a hold without amount', () => [{ type: 'hold', walletId: a }], 'operations.0.amount'],
      ['amount 0', () => [{ type: 'deposit', walletId: a, amount: 0 }], 'operations.0.amount'],
      ['a fractional amount', () => [{ type: 'deposit', walletId: a, amount: 1.5 }], 'operations.0.amount'],
      ['an amount as a string', () => [{ type: 'deposit', walletId: a, amount: '1' }], 'operations.0.amount'],
      ['a negative amount', () => [{ type: 'withdrawal', walletId: a, amount: -1 }], 'operations.0.amount'],
      ['amount 2^53', () => [{ type: 'deposit', walletId: a, amount: 2 ** 53 }], 'operations.0.amount'],
      ['a capture with amount 0', () => [{ type: 'capture', holdId: randomUUID(), amount: 0 }], 'operations.0.amount'],
      ['a capture with amount null', () => [{ type: 'capture', holdId: randomUUID(), amount: null }], 'operations.0.amount'],
      ['expiresInSeconds 0', () => [{ type: 'hold', walletId: a, amount: 1, expiresInSeconds: 0 }], 'operations.0.expiresInSeconds'],
      ['expiresInSeconds over 30 days', () => [{ type: 'hold', walletId: a, amount: 1, expiresInSeconds: 2_592_001 }], 'operations.0.expiresInSeconds'],
      ['expiresInSeconds fractional', () => [{ type: 'hold', walletId: a, amount: 1, expiresInSeconds: 1.5 }], 'operations.0.expiresInSeconds'],
      ['a walletId that is not a uuid', () => [{ type: 'deposit', walletId: 'abc', amount: 1 }], 'operations.0.walletId'],
      ['a holdId that is not a uuid', () => [{ type: 'capture', holdId: 'h-1' }], 'operations.0.holdId'],
      ['a toWalletId that is not a uuid', () => [{ type: 'transfer', fromWalletId: a, toWalletId: 'b', amount: 1 }], 'operations.0.toWalletId'],
      ['an unknown field', () => [{ type: 'deposit', walletId: a, amount: 1, currency: 'EUR' }], 'operations.0.currency'],
      ['an id chosen by the caller', () => [{ type: 'hold', walletId: a, amount: 1, id: randomUUID() }], 'operations.0.id'],
      ['an expiresAt instead of expiresInSeconds', () => [{ type: 'hold', walletId: a, amount: 1, expiresAt: '2030-01-01T00:00:00Z' }], 'operations.0.expiresAt'],
      ['holdId on a deposit', () => [{ type: 'deposit', walletId: a, amount: 1, holdId: randomUUID() }], 'operations.0.holdId'],
      ['toWalletId on a deposit', () => [{ type: 'deposit', walletId: a, amount: 1, toWalletId: b }], 'operations.0.toWalletId'],
      ['fromWalletId on a withdrawal', () => [{ type: 'withdrawal', walletId: a, amount: 1, fromWalletId: b }], 'operations.0.fromWalletId'],
      ['walletId on a transfer', () => [{ type: 'transfer', walletId: a, fromWalletId: a, toWalletId: b, amount: 1 }], 'operations.0.walletId'],
      ['expiresInSeconds on a transfer', () => [{ type: 'transfer', fromWalletId: a, toWalletId: b, amount: 1, expiresInSeconds: 60 }], 'operations.0.expiresInSeconds'],
      ['expiresInSeconds on a deposit', () => [{ type: 'deposit', walletId: a, amount: 1, expiresInSeconds: 60 }], 'operations.0.expiresInSeconds'],
      ['walletId on a capture', () => [{ type: 'capture', holdId: randomUUID(), walletId: a }], 'operations.0.walletId'],
      ['expiresInSeconds on a capture', () => [{ type: 'capture', holdId: randomUUID(), expiresInSeconds: 60 }], 'operations.0.expiresInSeconds'],
      ['toWalletId on a hold', () => [{ type: 'hold', walletId: a, amount: 1, toWalletId: b }], 'operations.0.toWalletId'],
      ['an unused field in the third operation', () => [
        { type: 'deposit', walletId: a, amount: 1 },
        { type: 'deposit', walletId: b, amount: 1 },
        { type: 'withdrawal', walletId: a, amount: 1, holdId: randomUUID() },
      ], 'operations.2.holdId'],
      ['metadata that is not flat', () => [{ type: 'deposit', walletId: a, amount: 1, metadata: { a: [1] } }], 'operations.0.metadata'],
      ['an empty reference', () => [{ type: 'deposit', walletId: a, amount: 1, reference: '' }], 'operations.0.reference'],
    ])('%s', async (_, operations, field) => {
      const before = await money(a, b);
      const beforeCounts = await counts();
      const res = await batch(operations());
      expectProblem(res, 400, 'VALIDATION_FAILED', field);
      expect(await money(a, b)).toEqual(before);
      expect(await counts()).toEqual(beforeCounts);
    });

    it('an unknown top-level field is 400, and so is malformed JSON', async () => {
      const res = await t.http.post('/v1/batches').set(AUTH).send({ operations: [{ type: 'deposit', walletId: a, amount: 1 }], atomic: true });
      expectProblem(res, 400, 'VALIDATION_FAILED', 'atomic');
      const malformed = await t.http.post('/v1/batches').set(AUTH).set('Content-Type', 'application/json').send('{"operations": [');
      expectProblem(malformed, 400, 'VALIDATION_FAILED');
      expect(await money(a)).toEqual([{ balance: 1_000, held: 0, available: 1_000 }]);
    });

    it('401 without an API key, and nothing is applied', async () => {
      expectProblem(await t.http.post('/v1/batches').send({ operations: [{ type: 'deposit', walletId: a, amount: 1 }] }), 401, 'UNAUTHORIZED');
      expect(await money(a)).toEqual([{ balance: 1_000, held: 0, available: 1_000 }]);
    });
  });

  describe('idempotency', () => {
    it('a repeated batch with the same key replays the first answer and applies once; another body is 422', async () => {
      const a = await fundedWallet(t.http, 1_000);
      const b = await fundedWallet(t.http, 0);
      const key = `batch-${randomUUID()}`;
      const operations = [
        { type: 'transfer', fromWalletId: a, toWalletId: b, amount: 300 },
        { type: 'hold', walletId: b, amount: 100, expiresInSeconds: 600 },
      ];
      const first = await batch(operations).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      expect(first.headers['idempotency-replayed']).toBeUndefined();
      const again = await batch([
        { amount: 300, toWalletId: b, fromWalletId: a, type: 'transfer' },
        { expiresInSeconds: 600, amount: 100, walletId: b, type: 'hold' },
      ]).set('Idempotency-Key', key);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(await money(a, b)).toEqual([
        { balance: 700, held: 0, available: 700 },
        { balance: 300, held: 100, available: 200 },
      ]);
      expectProblem(await batch([operations[0]]).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await batch([operations[1], operations[0]]).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await t.http.post(`/v1/wallets/${a}/deposits`).set(AUTH).set('Idempotency-Key', key).send({ amount: 1 }), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(await money(a, b)).toEqual([
        { balance: 700, held: 0, available: 700 },
        { balance: 300, held: 100, available: 200 },
      ]);
    });

    it('a replay after the batch’s hold was captured repeats the first body', async () => {
      const a = await fundedWallet(t.http, 1_000);
      const key = `batch-${randomUUID()}`;
      const operations = [{ type: 'hold', walletId: a, amount: 400 }];
      const first = await batch(operations).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      await t.http.post(`/v1/holds/${first.body.operations[0].hold.id}/capture`).set(AUTH).send({}).expect(201);
      const again = await batch(operations).set('Idempotency-Key', key);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.body.operations[0].hold.status).toBe('active');
      expect(await money(a)).toEqual([{ balance: 600, held: 0, available: 600 }]);
    });

    it('a refused batch is replayed as the same refusal, even after it could succeed', async () => {
      const a = await fundedWallet(t.http, 100);
      const key = `batch-${randomUUID()}`;
      const operations = [{ type: 'deposit', walletId: a, amount: 1 }, { type: 'withdrawal', walletId: a, amount: 500 }];
      const first = await batch(operations).set('Idempotency-Key', key);
      expectProblem(first, 422, 'INSUFFICIENT_FUNDS');
      expect(first.body.detail).toMatch(/^operations\[1\]: /);
      await t.http.post(`/v1/wallets/${a}/deposits`).set(AUTH).send({ amount: 1_000 }).expect(201);
      const again = await batch(operations).set('Idempotency-Key', key);
      expect(again.status).toBe(422);
      expect(again.body).toEqual(first.body);
      expect(await money(a)).toEqual([{ balance: 1_100, held: 0, available: 1_100 }]);
      const fresh = await batch(operations).set('Idempotency-Key', `${key}-2`);
      expect(fresh.status).toBe(201);
    });

    it('the same key with the same operations sent 10 times at once applies the batch once', async () => {
      const a = await fundedWallet(t.http, 1_000);
      const b = await fundedWallet(t.http, 0);
      const key = `batch-${randomUUID()}`;
      const operations = [{ type: 'transfer', fromWalletId: a, toWalletId: b, amount: 250 }, { type: 'hold', walletId: a, amount: 250 }];
      const replies = await Promise.all(Array.from({ length: 10 }, () => batch(operations).set('Idempotency-Key', key)));
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1);
      expect(replies.filter((r) => r.headers['idempotency-replayed'] === 'true')).toHaveLength(9);
      expect(await money(a, b)).toEqual([
        { balance: 750, held: 250, available: 500 },
        { balance: 250, held: 0, available: 250 },
      ]);
    });
  });
});
