import { randomUUID } from 'node:crypto';
import { postMovement } from '../../src/ledger/engine/calls.js';
import { renderCall } from '../../src/ledger/engine/engine-call.js';
import { HoldsSweeper } from '../../src/ledger/holds/holds.sweeper.js';
import { expectProblem } from '../support/expect-problem.js';
import { ManualClock, manualClock } from '../support/manual-clock.js';
import { ACME_AUTH, AUTH, fundedWallet, newWallet, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The event feed (GET /v1/events): one event per change of state, written in the change's own transaction,
 * numbered per tenant in commit order. Real PostgreSQL through the HTTP stack.
 */
describe('events feed', () => {
  let t: TestApp;
  let clock: ManualClock;

  beforeAll(async () => {
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
    clock = manualClock(t.app, new Date(Date.UTC(2031, 0, 1, 12)));
  });
  afterAll(async () => {
    clock.restore();
    await t.close();
  });

  /** Every event of the default tenant after `after`, following nextCursor to the end. */
  async function feed(after = 0, filter: Record<string, string> = {}, auth = AUTH) {
    const events: Record<string, any>[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const query = cursor ? { cursor, limit: 100, ...filter } : { after, limit: 100, ...filter };
      const res = await t.http.get('/v1/events').query(query).set(auth).expect(200);
      events.push(...res.body.data);
      if (res.body.nextCursor === null) return events;
      cursor = res.body.nextCursor;
    }
    throw new Error('the feed did not end');
  }
  const lastSequence = async () => (await feed()).at(-1)?.sequence ?? 0;

  it('writes one event per change, in order, with the shapes the API answers with', async () => {
    const start = await lastSequence();
    const wallet = await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: `o-${randomUUID()}`, currency: 'EUR' }).expect(201);
    const id = wallet.body.id as string;
    const deposit = await t.http.post(`/v1/wallets/${id}/deposits`).set(AUTH).send({ amount: 1000, reference: 'top-up' }).expect(201);
    const hold = await t.http.post('/v1/holds').set(AUTH).send({ walletId: id, amount: 300 }).expect(201);
    const capture = await t.http.post(`/v1/holds/${hold.body.id}/capture`).set(AUTH).send({ amount: 200 }).expect(201);
    const other = await t.http.post('/v1/holds').set(AUTH).send({ walletId: id, amount: 50 }).expect(201);
    const voided = await t.http.post(`/v1/holds/${other.body.id}/void`).set(AUTH).expect(200);
    const patched = await t.http.patch(`/v1/wallets/${id}`).set(AUTH).send({ metadata: { tier: 'gold' } }).expect(200);

    const events = await feed(start);
    expect(events.map((e) => e.type)).toEqual([
      'wallet.created', 'transaction.posted', 'hold.created', 'transaction.posted', 'hold.captured', 'hold.created', 'hold.voided', 'wallet.updated',
    ]);
    const sequences = events.map((e) => e.sequence);
    expect(sequences).toEqual(sequences.map((_, i) => start + 1 + i));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // A new wallet's times come from the database's clock (column defaults), its limit periods from the service's,
    // which this test sets years ahead: the event renders the periods from the row's own time.
    expect(events[0]!.data).toEqual({ wallet: { ...wallet.body, limitUsage: expect.any(Object) } });
    expect(events[0]!.data.wallet.limitUsage.dailyDebit.used).toBe(0);
    expect(events[1]!.data).toEqual({ transaction: deposit.body });
    expect(events[2]!.data).toEqual({ hold: hold.body });
    expect(events[3]!.data).toEqual({ transaction: capture.body });
    expect(events[4]!.data.hold).toMatchObject({ id: hold.body.id, status: 'captured', capturedAmount: 200 });
    expect(events[6]!.data).toEqual({ hold: voided.body });
    expect(events[7]!.data).toEqual({ wallet: patched.body });
    expect(events[1]!.createdAt).toBe(deposit.body.createdAt);
  });

  it('a refused move, an idempotent replay and a PATCH that changes nothing write no event', async () => {
    const id = await fundedWallet(t.http, 100);
    const start = await lastSequence();
    await t.http.post(`/v1/wallets/${id}/withdrawals`).set(AUTH).send({ amount: 101 }).expect(422);
    await t.http.post(`/v1/wallets/${id}/deposits`).set(AUTH).set('Idempotency-Key', `k-${id}`).send({ amount: 5 }).expect(201);
    const replay = await t.http.post(`/v1/wallets/${id}/deposits`).set(AUTH).set('Idempotency-Key', `k-${id}`).send({ amount: 5 }).expect(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    await t.http.patch(`/v1/wallets/${id}`).set(AUTH).send({}).expect(200);
    const events = await feed(start);
    expect(events.map((e) => [e.type, e.data.transaction?.amount])).toEqual([['transaction.posted', 5]]);
  });

  it('a refund is posted as a transaction; a batch writes the events of each of its operations, in order', async () => {
    const a = await fundedWallet(t.http, 1000);
    const b = await newWallet(t.http);
    const transfer = await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: a, toWalletId: b, amount: 400 }).expect(201);
    const start = await lastSequence();
    const refund = await t.http.post(`/v1/transactions/${transfer.body.id}/refunds`).set(AUTH).send({ amount: 100 }).expect(201);
    const batch = await t.http.post('/v1/batches').set(AUTH).send({
      operations: [
        { type: 'transfer', fromWalletId: a, toWalletId: b, amount: 10 },
        { type: 'hold', walletId: a, amount: 20 },
        { type: 'withdrawal', walletId: b, amount: 5 },
      ],
    });
    expect(batch.status).toBe(201);
    const events = await feed(start);
    expect(events.map((e) => e.type)).toEqual(['transaction.posted', 'transaction.posted', 'hold.created', 'transaction.posted']);
    expect(events[0]!.data.transaction).toEqual(refund.body);
    expect(events[1]!.data.transaction).toMatchObject({ type: 'transfer', amount: 10 });
    expect(events[2]!.data.hold).toMatchObject({ walletId: a, amount: 20, status: 'active' });
    expect(events[3]!.data.transaction).toMatchObject({ type: 'withdrawal', amount: 5 });
    // the transfer's event shows it as posted, not as it reads after its refund
    const all = await feed();
    expect(all.find((e) => e.data.transaction?.id === transfer.body.id)!.data.transaction.refundedAmount).toBe(0);
  });

  it('a conversion is posted as one transaction.posted event, with its four entries, on both wallets', async () => {
    await t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: '1.1' }).expect(200);
    const eur = await fundedWallet(t.http, 1000);
    const usd = await newWallet(t.http, { currency: 'USD' });
    const quote = await t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 500 }).expect(201);
    const start = await lastSequence();
    const conversion = await t.http.post('/v1/conversions').set(AUTH).send({ quoteId: quote.body.id, fromWalletId: eur, toWalletId: usd }).expect(201);
    const events = await feed(start);
    expect(events.map((e) => e.type)).toEqual(['transaction.posted']);
    expect(events[0]!.data.transaction).toEqual(conversion.body);
    expect(events[0]!.data.transaction.entries).toHaveLength(4);
    for (const walletId of [eur, usd]) expect((await feed(start, { walletId })).map((e) => e.id)).toEqual([events[0]!.id]);
  });

  it('hold.expired is written when a due hold is marked expired, by the sweeper or by a move on its wallet', async () => {
    const id = await fundedWallet(t.http, 500);
    const byMove = await t.http.post('/v1/holds').set(AUTH).send({ walletId: id, amount: 100, expiresInSeconds: 60 }).expect(201);
    const start = await lastSequence();
    clock.advance(61_000);
    await t.http.post(`/v1/wallets/${id}/withdrawals`).set(AUTH).send({ amount: 450 }).expect(201);
    const bySweeper = await t.http.post('/v1/holds').set(AUTH).send({ walletId: id, amount: 30, expiresInSeconds: 60 }).expect(201);
    clock.advance(61_000);
    expect(await t.app.get(HoldsSweeper).sweep()).toBeGreaterThanOrEqual(1);
    const events = (await feed(start)).filter((e) => e.type === 'hold.expired' || e.type === 'transaction.posted');
    // Written at COMMIT (a deferred trigger), so after the events of the move that released it, in the same
    // transaction; its createdAt says when it expired.
    expect(events.map((e) => [e.type, e.data.hold?.id ?? e.data.transaction.type])).toEqual([
      ['transaction.posted', 'withdrawal'],
      ['hold.expired', byMove.body.id],
      ['hold.expired', bySweeper.body.id],
    ]);
    expect(events[1]!.data.hold).toMatchObject({ status: 'expired', releasedAt: byMove.body.expiresAt });
    expect(events[1]!.createdAt).toBe(byMove.body.expiresAt);
  });

  it('a transaction that began first and commits last is numbered after the one that committed in between: the feed never skips it', async () => {
    const early = await newWallet(t.http);
    const late = await newWallet(t.http);
    const start = await lastSequence();
    const slow = await t.db.pool.connect();
    try {
      // The slow transaction begins first and writes its deposit's rows first: its entries get the lower ids, as a
      // plain sequence column would number it first. Its events are written at the end of its statement.
      await slow.query('BEGIN');
      const call = postMovement({ tenantId: 'default', idempotency: null, now: clock.now },
        { transactionId: randomUUID(), type: 'deposit', debitWalletId: null, creditWalletId: early, amountMinor: 7 });
      const { expression, parameters } = renderCall(call);
      const { rows: [posted] } = await slow.query(`SELECT ${expression} AS result`, parameters);
      expect(posted.result.outcome).toBe('posted');

      // Meanwhile another deposit begins, posts and commits.
      const fast = await t.http.post(`/v1/wallets/${late}/deposits`).set(AUTH).send({ amount: 9 }).expect(201);
      const seenFirst = await feed(start);
      expect(seenFirst.map((e) => e.data.transaction.id)).toEqual([fast.body.id]);
      const lastSeen = seenFirst.at(-1)!.sequence;

      // The slow one now records its events and commits, after the fast one.
      await slow.query(`SELECT record_call_events('post_movement', 'default', $1, $2::jsonb)`, [clock.now, posted.result]);
      await slow.query('COMMIT');

      const entryIds = await t.db.pool.query(
        `SELECT transaction_id, min(id)::int AS id FROM entries WHERE transaction_id = ANY ($1) GROUP BY 1`, [[posted.result.transaction.id, fast.body.id]]);
      const entryId = new Map(entryIds.rows.map((r) => [r.transaction_id, r.id]));
      expect(entryId.get(posted.result.transaction.id)).toBeLessThan(entryId.get(fast.body.id));

      const seenAfter = await feed(lastSeen);
      expect(seenAfter.map((e) => e.data.transaction.id)).toEqual([posted.result.transaction.id]);
      expect(seenAfter[0]!.sequence).toBeGreaterThan(lastSeen);
    } finally {
      slow.release(true);
    }
  });

  it('filters by type and wallet, pages with limit and cursor, and keeps tenants apart', async () => {
    const a = await fundedWallet(t.http, 100);
    const b = await fundedWallet(t.http, 100);
    for (let i = 0; i < 5; i++) await t.http.post(`/v1/wallets/${a}/deposits`).set(AUTH).send({ amount: 1 }).expect(201);
    const ofA = await feed(0, { walletId: a });
    expect(ofA.map((e) => e.type)).toEqual(['wallet.created', ...Array(6).fill('transaction.posted')]);
    expect(ofA.every((e) => JSON.stringify(e.data).includes(a))).toBe(true);
    const deposits = await feed(0, { type: 'transaction.posted', walletId: b });
    expect(deposits).toHaveLength(1);

    const first = await t.http.get('/v1/events').query({ limit: 2 }).set(AUTH).expect(200);
    expect(first.body.data).toHaveLength(2);
    const second = await t.http.get('/v1/events').query({ limit: 2, cursor: first.body.nextCursor }).set(AUTH).expect(200);
    expect(second.body.data[0].sequence).toBe(first.body.data[1].sequence + 1);

    await t.http.post('/v1/wallets').set(ACME_AUTH).send({ ownerId: 'acme-owner', currency: 'EUR' }).expect(201);
    const acme = await feed(0, {}, ACME_AUTH);
    expect(acme.map((e) => [e.sequence, e.type])).toEqual([[1, 'wallet.created']]);
  });

  it.each([
    ['after below 0', { after: -1 }, 'after'],
    ['after not an integer', { after: '1.5' }, 'after'],
    ['an unknown type', { type: 'wallet.deleted' }, 'type'],
    ['a walletId that is no uuid', { walletId: 'nope' }, 'walletId'],
    ['a cursor the service did not issue', { cursor: 'abc' }, undefined],
    ['a limit of 0', { limit: 0 }, 'limit'],
  ])('refuses %s with 400', async (_, query, field) => {
    expectProblem(await t.http.get('/v1/events').query(query).set(AUTH), 400, 'VALIDATION_FAILED', field);
  });

  it('refuses a cursor of another filter and after with cursor', async () => {
    const page = await t.http.get('/v1/events').query({ limit: 1 }).set(AUTH).expect(200);
    expectProblem(await t.http.get('/v1/events').query({ cursor: page.body.nextCursor, type: 'hold.created' }).set(AUTH), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.get('/v1/events').query({ cursor: page.body.nextCursor, after: 3 }).set(AUTH), 400, 'VALIDATION_FAILED', 'after');
  });
});
