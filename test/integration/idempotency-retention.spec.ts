import { IdempotencyPruner } from '../../src/idempotency/idempotency.pruner.js';
import { AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';

describe('idempotency retention', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ IDEMPOTENCY_TTL_HOURS: '24' });
  });
  afterAll(() => t.close());

  it('prunes records older than IDEMPOTENCY_TTL_HOURS and keeps younger ones replayable', async () => {
    const walletId = await fundedWallet(t.http, 'retention', 0);
    await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'old').send({ amount: 1 }).expect(201);
    await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'young').send({ amount: 2 }).expect(201);
    await t.db.pool.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'`);
    await t.db.pool.query(`UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = 'young'`);

    expect(await t.app.get(IdempotencyPruner).prune()).toBe(1);

    const { rows } = await t.db.pool.query('SELECT key FROM idempotency_keys ORDER BY key');
    expect(rows.map((row) => row.key)).toEqual(['young']);
    const replay = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'young').send({ amount: 2 });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    const wallet = await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200);
    expect(wallet.body.balance).toBe(3);
  });
});
