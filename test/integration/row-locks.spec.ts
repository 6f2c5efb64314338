import { randomUUID } from 'node:crypto';
import { postMovement } from '../../src/ledger/engine/calls.js';
import { renderCall } from '../../src/ledger/engine/engine-call.js';
import { waitUntilSomeoneWaits } from '../support/lock-waits.js';
import { AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';

const LOCK_TIMEOUT_MS = 400;


describe('row locks', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS * 10) });
  });
  afterAll(() => t.close());

  it('a movement on a wallet another transaction has locked blocks until that transaction commits', async () => {
    const walletId = await fundedWallet(t.http, 'blocked', 100);
    const holder = await t.db.pool.connect();
    const events: string[] = [];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
      const withdrawal = t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount: 30 }).then((reply) => {
        events.push('withdrawal answered');
        return reply;
      });
      await waitUntilSomeoneWaits(t.db.pool);
      events.push('holder commits');
      await holder.query('COMMIT');
      const reply = await withdrawal;
      expect(reply.status).toBe(201);
      expect(events).toEqual(['holder commits', 'withdrawal answered']);
    } finally {
      holder.release();
    }
  });

  it('funds are checked under the lock: a withdrawal that waited sees the committed spend of the one before it', async () => {
    const walletId = await fundedWallet(t.http, 'fresh-read', 100);
    const holder = await t.db.pool.connect();
    try {
      await holder.query('BEGIN');
      // Another instance of the service spends 80 inside a transaction that is still open.
      const spend = renderCall(
        postMovement(
          { tenantId: 'default', idempotency: null, now: new Date() },
          { transactionId: randomUUID(), type: 'withdrawal', debitWalletId: walletId, creditWalletId: null, amountMinor: 80 },
        ),
      );
      const [spent] = (await holder.query(`SELECT ${spend.expression} AS r`, spend.parameters)).rows;
      expect(spent.r.outcome).toBe('posted');
      const withdrawal = t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount: 50 }).then((r) => r);
      await waitUntilSomeoneWaits(t.db.pool);
      await holder.query('COMMIT');
      const reply = await withdrawal;
      expect(reply.status).toBe(422);
      expect(reply.body.code).toBe('INSUFFICIENT_FUNDS');
      const wallet = await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200);
      expect(wallet.body.balance).toBe(20);
    } finally {
      holder.release();
    }
  });

  it('transfers lock both wallets: a transfer waits for either side', async () => {
    const from = await fundedWallet(t.http, 'side-a', 100);
    const to = await fundedWallet(t.http, 'side-b', 0);
    const holder = await t.db.pool.connect();
    const events: string[] = [];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [to]);
      const transfer = t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: from, toWalletId: to, amount: 10 }).then((reply) => {
        events.push('transfer answered');
        return reply;
      });
      await waitUntilSomeoneWaits(t.db.pool);
      events.push('holder commits');
      await holder.query('COMMIT');
      expect((await transfer).status).toBe(201);
      expect(events).toEqual(['holder commits', 'transfer answered']);
    } finally {
      holder.release();
    }
  });
  it('a deadlock with an outside transaction is retried, so the caller still gets its transfer, posted once', async () => {
    const [low, high] = [await fundedWallet(t.http, 'dl-a', 100), await fundedWallet(t.http, 'dl-b', 100)].sort();
    const outsider = await t.db.pool.connect();
    try {
      await outsider.query('BEGIN');
      // The outsider waits long before checking for deadlocks, so PostgreSQL picks the service's statement as
      // the victim (its deadlock_timeout is the default 1 s): a deterministic deadlock_detected to retry.
      await outsider.query(`SET LOCAL deadlock_timeout = '30s'`);
      await outsider.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [high]);
      const transfer = t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: low, toWalletId: high, amount: 25 }).then((r) => r);
      await waitUntilSomeoneWaits(t.db.pool); // the service holds `low` and waits for `high`
      const outsiderLocksLow = outsider.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [low]);
      const reply = await Promise.race([transfer, outsiderLocksLow.then(() => null)]);
      expect(reply).toBeNull(); // the outsider got `low`: the service's first attempt was rolled back
      await outsider.query('COMMIT');
      const answered = await transfer;
      expect(answered.status).toBe(201);
    } finally {
      outsider.release();
    }
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM transactions WHERE from_wallet_id = $1', [low]);
    expect(rows[0].n).toBe(1);
    const lowWallet = await t.http.get(`/v1/wallets/${low}`).set(AUTH).expect(200);
    expect(lowWallet.body.balance).toBe(75);
  });
});

describe('bounded waits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS) });
  });
  afterAll(() => t.close());

  it('a wallet locked longer than lock_timeout answers 503 with Retry-After, and nothing moves', async () => {
    const walletId = await fundedWallet(t.http, 'stuck', 100);
    const holder = await t.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
      const reply = await t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).set('Idempotency-Key', 'stuck-1').send({ amount: 10 });
      expect(reply.status).toBe(503);
      expect(reply.headers['content-type']).toContain('application/problem+json');
      expect(reply.headers['retry-after']).toBe('1');
      expect(reply.body.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    // The retry with the same key is safe: the failed attempt left no idempotency record behind.
    const retry = await t.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).set('Idempotency-Key', 'stuck-1').send({ amount: 10 });
    expect(retry.status).toBe(201);
    const wallet = await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200);
    expect(wallet.body.balance).toBe(90);
  });

  it('a repeat of a key whose first request is still running past lock_timeout gets 409 IDEMPOTENCY_IN_PROGRESS', async () => {
    const walletId = await fundedWallet(t.http, 'in-flight', 100);
    const holder = await t.db.pool.connect();
    try {
      await holder.query('BEGIN');
      // What the first request's still-open transaction looks like: the key claimed, not yet committed.
      await holder.query(`INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ('default/shop', 'slow-1', repeat('0', 64))`);
      const reply = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'slow-1').send({ amount: 10 });
      expect(reply.status).toBe(409);
      expect(reply.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const wallet = await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200);
    expect(wallet.body.balance).toBe(100);
  });
  it('creating a wallet with a key still claimed by a running request gets 409 IDEMPOTENCY_IN_PROGRESS, and stores nothing', async () => {
    const holder = await t.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ('default/shop', 'create-slow', repeat('0', 64))`);
      const reply = await t.http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'create-slow').send({ ownerId: 'slow', currency: 'EUR' });
      expect(reply.status).toBe(409);
      expect(reply.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'create-slow'`);
    expect(rows[0].n).toBe(0);
    const retry = await t.http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'create-slow').send({ ownerId: 'slow', currency: 'EUR' });
    expect(retry.status).toBe(201);
  });

  it('a refused wallet creation is remembered under its key and replayed', async () => {
    await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'twice', currency: 'EUR' }).expect(201);
    const first = await t.http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'dup-1').send({ ownerId: 'twice', currency: 'EUR' });
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('WALLET_ALREADY_EXISTS');
    const { rows } = await t.db.pool.query(`SELECT error_code FROM idempotency_keys WHERE key = 'dup-1'`);
    expect(rows).toEqual([{ error_code: 'WALLET_ALREADY_EXISTS' }]);
    const again = await t.http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'dup-1').send({ ownerId: 'twice', currency: 'EUR' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual(first.body);
  });
});
