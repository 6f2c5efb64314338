import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';

/**
 * Real concurrency against real PostgreSQL through the real HTTP stack: many requests in flight at once
 * on a pool of 10 connections. Nothing here is timed; every assertion is about money.
 */
describe('money under concurrency', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function balanceOf(walletId: string): Promise<number> {
    const response = await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200);
    return response.body.balance as number;
  }

  it.each([1, 2, 3, 4, 5])('50 concurrent withdrawals of 10 from 100: exactly 10 succeed (round %i)', async (round) => {
    const walletId = await fundedWallet(t.http, `race-${round}`, 100);
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount: 10 })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    const refused = replies.filter((r) => r.status === 422);
    expect(refused).toHaveLength(40);
    for (const reply of refused) expect(reply.body.code).toBe('INSUFFICIENT_FUNDS');
    expect(await balanceOf(walletId)).toBe(0);
    // each success saw a distinct balance: 90, 80, …, 0
    const after = replies.filter((r) => r.status === 201).map((r) => r.body.entries.find((e: { walletId?: string }) => e.walletId === walletId).balanceAfter);
    expect(after.sort((a: number, b: number) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('A→B and B→A transfers fired together all succeed and conserve the total', async () => {
    const a = await fundedWallet(t.http, 'ping', 10_000);
    const b = await fundedWallet(t.http, 'pong', 10_000);
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        t.http
          .post('/v1/transfers')
          .set(AUTH)
          .send(i % 2 === 0 ? { fromWalletId: a, toWalletId: b, amount: 7 + i } : { fromWalletId: b, toWalletId: a, amount: 7 + i }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(60).fill(201));
    const sentAtoB = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 7 + i : -(7 + i))).reduce((x, y) => x + y, 0);
    expect(await balanceOf(a)).toBe(10_000 - sentAtoB);
    expect(await balanceOf(b)).toBe(10_000 + sentAtoB);
  });

  it('the same Idempotency-Key sent 30 times at once moves money once and answers the same every time', async () => {
    const walletId = await fundedWallet(t.http, 'storm', 0);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'storm-1').send({ amount: 500, reference: 'top-up' }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(201));
    const bodies = new Set(replies.map((r) => JSON.stringify(r.body)));
    expect(bodies.size).toBe(1);
    expect(replies.filter((r) => r.headers['idempotency-replayed'] === 'true')).toHaveLength(29);
    expect(await balanceOf(walletId)).toBe(500);
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM transactions WHERE wallet_id = $1', [walletId]);
    expect(rows[0].n).toBe(1);
  });

  it('the same key used by a concurrent refused withdrawal replays the refusal, not a later success', async () => {
    const walletId = await fundedWallet(t.http, 'refusal', 5);
    const first = await t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).set('Idempotency-Key', 'w-1').send({ amount: 10 });
    expect(first.status).toBe(422);
    await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).send({ amount: 100 }).expect(201);
    const again = await t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).set('Idempotency-Key', 'w-1').send({ amount: 10 });
    expect(again.status).toBe(422);
    expect(again.body).toEqual(first.body);
    expect(await balanceOf(walletId)).toBe(105);
  });

  it('a random concurrent workload conserves money: wallets plus system accounts sum to zero and entries replay to balances', async () => {
    const currencies = ['EUR', 'USD'];
    const wallets: { id: string; currency: string }[] = [];
    for (const currency of currencies) {
      for (let i = 0; i < 6; i++) wallets.push({ id: await fundedWallet(t.http, `mix-${i}`, 1_000, currency), currency });
    }
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const requests = Array.from({ length: 300 }, () => {
      const from = wallets[random(wallets.length)];
      const to = wallets[random(wallets.length)];
      const amount = 1 + random(400);
      switch (random(4)) {
        case 0:
          return t.http.post(`/v1/wallets/${from.id}/deposits`).set(AUTH).send({ amount });
        case 1:
          return t.http.post(`/v1/wallets/${from.id}/withdrawals`).set(AUTH).send({ amount });
        default:
          return t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: from.id, toWalletId: to.id, amount });
      }
    });
    const replies = await Promise.all(requests);
    const allowed = new Set(['INSUFFICIENT_FUNDS', 'CURRENCY_MISMATCH', 'SAME_WALLET']);
    for (const reply of replies) {
      if (reply.status !== 201) expect(allowed.has(reply.body.code)).toBe(true);
    }
    expect(replies.filter((r) => r.status === 201).length).toBeGreaterThan(100);

    const perCurrency = await t.db.pool.query(`
      SELECT c.currency,
             (SELECT coalesce(sum(balance), 0) FROM wallets w WHERE w.currency = c.currency)::bigint
           + (SELECT coalesce(sum(amount), 0) FROM entries e WHERE e.currency = c.currency AND e.account IS NOT NULL)::bigint AS total
        FROM (SELECT DISTINCT currency FROM wallets) c`);
    for (const row of perCurrency.rows) expect(row.total).toBe('0');

    const drift = await t.db.pool.query(`
      SELECT w.id FROM wallets w
        LEFT JOIN (SELECT wallet_id, sum(amount) AS total FROM entries WHERE wallet_id IS NOT NULL GROUP BY wallet_id) e ON e.wallet_id = w.id
       WHERE w.balance <> coalesce(e.total, 0)
          OR w.balance <> coalesce((SELECT balance_after FROM entries x WHERE x.wallet_id = w.id ORDER BY x.id DESC LIMIT 1), 0)`);
    expect(drift.rows).toEqual([]);
    const negative = await t.db.pool.query('SELECT id FROM wallets WHERE balance - held < -overdraft_limit');
    expect(negative.rows).toEqual([]);
    const unbalanced = await t.db.pool.query('SELECT transaction_id FROM entries GROUP BY transaction_id HAVING sum(amount) <> 0');
    expect(unbalanced.rows).toEqual([]);
    // 300 requests on 12 wallets at once: lock order and clock order differ, stamps must still follow ledger order
    await expectLedgerInvariants(t.db.pool);
  });
});
