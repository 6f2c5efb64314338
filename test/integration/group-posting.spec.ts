import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { canonicalJson } from '../../src/idempotency/idempotency-key.decorator.js';
import { postMovement } from '../../src/ledger/engine/calls.js';
import { type CallContext, type EngineCall, renderCall } from '../../src/ledger/engine/engine-call.js';
import { type EngineResult, LedgerEngine } from '../../src/ledger/engine/ledger-engine.js';
import { expectProblem } from '../support/expect-problem.js';
import { manualClock } from '../support/manual-clock.js';
import {
  eventually,
  lockWallet,
  releaseWalletLocks,
  type PostingGroups,
  postingGroupsSince,
  queuedMoves,
  scrapePostingGroups,
  serviceLockWaits,
  writersOf,
} from '../support/group-posting.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { seededRandom } from '../support/seeded-random.js';
import { ACME_AUTH, AUTH, fundedWallet, newWallet, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Group posting on real PostgreSQL, through the real HTTP stack where users touch it. A group is forced
 * without any timing: with POSTING_MAX_IN_FLIGHT=1 the only posting slot is taken by a move that waits for a
 * wallet row lock held by an outside connection; the requests that follow queue in the poster (the test
 * waits until the poster reports each one queued, so arrival order is the test's), and when the outside
 * transaction ends they go out together as one group. That they went out as ONE database transaction is
 * read from the database itself: every row a transaction writes carries its id in xmin.
 *
 * The lock budget is long (the outside locks are held only while the test lines requests up), and nothing
 * here asserts a duration.
 */

const LONG_WAITS = { DB_LOCK_TIMEOUT_MS: '20000', DB_STATEMENT_TIMEOUT_MS: '30000', REQUEST_TIMEOUT_MS: '40000', HOLD_SWEEP_INTERVAL_MS: '0' };
/** The scope an Idempotency-Key of the test app's `shop` key lives in (tenant/key name). */
const SHOP_SCOPE = 'default/shop';

type Pending = Promise<Response>;

/** A request started now (supertest sends on then()), as a promise of its answer. */
function started(request: PromiseLike<Response>): Pending {
  return Promise.resolve(request.then((reply) => reply));
}

/** sha256 of what the service hashes for an Idempotency-Key: method, path and the canonical body. */
function requestHashOf(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('hex');
}

/** The wallet's balance and held amount, as the API shows them. */
async function walletOf(t: TestApp, walletId: string): Promise<{ balance: number; held: number }> {
  const reply = await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200);
  return { balance: reply.body.balance, held: reply.body.held };
}

/**
 * Takes the posting slots: for each of `count` fresh wallets, an outside connection locks its row and a
 * deposit into it is sent; returns once every one of those deposits waits in the database for its lock, so
 * every slot is provably busy. `free(i)` ends the i-th outside transaction (the i-th deposit then posts).
 */
async function occupySlots(t: TestApp, count: number) {
  const wallets = await Promise.all(Array.from({ length: count }, () => newWallet(t.http)));
  const locks = await Promise.all(wallets.map((walletId) => lockWallet(t.db.pool, walletId)));
  const before = (await serviceLockWaits(t.db.pool)).length;
  const blockers = wallets.map((walletId) => started(t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).send({ amount: 1 })));
  await eventually(`${count} blocking deposits wait for their locks`, async () => (await serviceLockWaits(t.db.pool)).length === before + count);
  expect(queuedMoves(t.app)).toBe(0);
  return {
    async free(index: number): Promise<Response> {
      await locks[index]!.release('COMMIT');
      return blockers[index]!;
    },
  };
}

/**
 * Sends each request only once the one before it has reached the poster's queue, so the queue (and thus
 * the group) holds them in exactly this order. The slots must be busy (see occupySlots).
 */
async function queueInOrder<T>(t: TestApp, sends: (() => Promise<T>)[]): Promise<Promise<T>[]> {
  const pending: Promise<T>[] = [];
  const base = queuedMoves(t.app);
  for (const send of sends) {
    const reply = send();
    reply.catch(() => undefined); // observed by the caller; never an unhandled rejection meanwhile
    pending.push(reply);
    await eventually(`request ${pending.length} is queued`, () => queuedMoves(t.app) === base + pending.length);
  }
  return pending;
}

describe('group posting', () => {
  // A test that fails while an outside connection holds a lock must not leave it held for the next one.
  afterEach(() => releaseWalletLocks());

  describe('one posting slot (POSTING_MAX_IN_FLIGHT=1)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ POSTING_MAX_IN_FLIGHT: '1', ...LONG_WAITS });
    });
    afterAll(() => t.close());

    it('a refusal in the middle of a group answers with its own problem; the others post in arrival order, all in one database transaction', async () => {
      const payer = await fundedWallet(t.http, 200);
      const payee = await newWallet(t.http);
      const missing = randomUUID();
      const slots = await occupySlots(t, 1);
      const before = await scrapePostingGroups(t.http);

      const replies = await queueInOrder(t, [
        () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 30 })),
        () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 30 })),
        () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).set('Idempotency-Key', 'mid-refusal').send({ amount: 500 })),
        () => started(t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: payer, toWalletId: payee, amount: 30 })),
        () => started(t.http.post(`/v1/wallets/${missing}/deposits`).set(AUTH).send({ amount: 10 })),
        () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 10 })),
      ]);
      const blocker = await slots.free(0);
      const answers = await Promise.all(replies);

      expect(blocker.status).toBe(201);
      expect(answers.map((reply) => reply.status)).toEqual([201, 201, 422, 201, 404, 201]);
      expectProblem(answers[2]!, 422, 'INSUFFICIENT_FUNDS');
      expect(answers[2]!.body.detail).toContain('500 was requested');
      expectProblem(answers[4]!, 404, 'WALLET_NOT_FOUND');
      expect(answers[4]!.body.detail).toContain(missing);

      // In arrival order under the group's locks: each success saw the balance the one before it left.
      const payerAfter = (reply: Response) => reply.body.entries.find((entry: { walletId?: string }) => entry.walletId === payer).balanceAfter;
      expect([answers[0]!, answers[1]!, answers[3]!, answers[5]!].map(payerAfter)).toEqual([170, 140, 110, 100]);
      expect(await walletOf(t, payer)).toEqual({ balance: 100, held: 0 });
      expect(await walletOf(t, payee)).toEqual({ balance: 30, held: 0 });

      // One database transaction wrote all four, and not the blocker's.
      const posted = [answers[0]!, answers[1]!, answers[3]!, answers[5]!].map((reply) => reply.body.id as string);
      const writers = await writersOf(t.db.pool, [...posted, blocker.body.id]);
      expect(new Set(posted.map((id) => writers.get(id))).size).toBe(1);
      expect(writers.get(posted[0]!)).toBeDefined();
      expect(writers.get(blocker.body.id)).not.toBe(writers.get(posted[0]!));
      // … sent as one group of six, every one of which had waited for the slot
      const since = postingGroupsSince(before, await scrapePostingGroups(t.http));
      expect({ groups: since.groups, moves: since.moves, queued: since.queued, upTo4: since.atMost['4'], upTo8: since.atMost['8'] }).toEqual({
        groups: 1,
        moves: 6,
        queued: 6,
        upTo4: 0,
        upTo8: 1,
      });

      // The refusal committed with its key, inside the group: a retry gets the same answer and moves nothing.
      const retry = await t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).set('Idempotency-Key', 'mid-refusal').send({ amount: 500 });
      expect(retry.status).toBe(422);
      expect(retry.body).toEqual({ ...answers[2]!.body, requestId: retry.body.requestId });
      expect(await walletOf(t, payer)).toEqual({ balance: 100, held: 0 });
      const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM transactions WHERE wallet_id = $1 OR from_wallet_id = $1`, [payer]);
      expect(rows[0].n).toBe(1 + 4); // the funding deposit and the four posted here
      await expectLedgerInvariants(t.db.pool);
    });

    it('a group paying from a wallet whose hold has come due is posted move by move: the hold is released at the first move, and the withdrawal that needed its money posts', async () => {
      const clock = manualClock(t.app, new Date(Date.UTC(2041, 5, 1, 12, 0, 0)));
      try {
        const payer = await fundedWallet(t.http, 100);
        const hold = await t.http.post('/v1/holds').set(AUTH).send({ walletId: payer, amount: 80, expiresInSeconds: 60 }).expect(201);
        expect(await walletOf(t, payer)).toEqual({ balance: 100, held: 80 });
        clock.advance(61_000); // due, and nobody has marked it yet (the sweeper is off)
        const slots = await occupySlots(t, 1);
        const replies = await queueInOrder(t, [
          () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 50 })),
          () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 40 })),
          () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 20 })),
        ]);
        await slots.free(0);
        const answers = await Promise.all(replies);
        expect(answers.map((reply) => reply.status)).toEqual([201, 201, 422]);
        expectProblem(answers[2]!, 422, 'INSUFFICIENT_FUNDS');
        expect(await walletOf(t, payer)).toEqual({ balance: 10, held: 0 });
        const { rows } = await t.db.pool.query(`SELECT status, released_at FROM holds WHERE id = $1`, [hold.body.id]);
        expect(rows[0]).toEqual({ status: 'expired', released_at: new Date(hold.body.expiresAt) });
        const writers = await writersOf(t.db.pool, [answers[0]!.body.id, answers[1]!.body.id]);
        expect(writers.get(answers[0]!.body.id)).toBe(writers.get(answers[1]!.body.id));
        await expectLedgerInvariants(t.db.pool);
      } finally {
        clock.restore();
      }
    });

    it('conversions in a group: each through post_conversion under the group\'s locks; the second use of a quote in the same group is QUOTE_USED', async () => {
      await t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: '1.25' }).expect(200);
      const payer = await fundedWallet(t.http, 1_000);
      const seller = await newWallet(t.http, { currency: 'USD' });
      const other = await newWallet(t.http, { currency: 'USD' });
      const quoteOf = async (amount: number) =>
        (await t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount, expiresInSeconds: 600 }).expect(201)).body.id as string;
      const [first, second] = [await quoteOf(400), await quoteOf(600)];
      const slots = await occupySlots(t, 1);
      const convert = (quoteId: string, toWalletId: string) => () => started(t.http.post('/v1/conversions').set(AUTH).send({ quoteId, fromWalletId: payer, toWalletId }));
      const replies = await queueInOrder(t, [
        () => started(t.http.post(`/v1/wallets/${payer}/deposits`).set(AUTH).send({ amount: 100 })),
        convert(first, seller),
        convert(first, other),
        convert(second, other),
        () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 101 })),
        () => started(t.http.post(`/v1/wallets/${payer}/withdrawals`).set(AUTH).send({ amount: 100 })),
      ]);
      await slots.free(0);
      const answers = await Promise.all(replies);
      expect(answers.map((reply) => reply.status)).toEqual([201, 201, 409, 201, 422, 201]);
      expectProblem(answers[2]!, 409, 'QUOTE_USED');
      expectProblem(answers[4]!, 422, 'INSUFFICIENT_FUNDS');
      expect(answers[1]!.body.entries).toEqual([
        { walletId: payer, amount: -400, balanceAfter: 700, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
        { account: 'fx:EUR', amount: 400 },
        { account: 'fx:USD', amount: -500 },
        { walletId: seller, amount: 500, balanceAfter: 500, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ]);
      expect([await walletOf(t, payer), await walletOf(t, seller), await walletOf(t, other)]).toEqual([
        { balance: 0, held: 0 }, { balance: 500, held: 0 }, { balance: 750, held: 0 },
      ]);
      const posted = [answers[0]!, answers[1]!, answers[3]!, answers[5]!].map((reply) => reply.body.id as string);
      const writers = await writersOf(t.db.pool, posted);
      expect(new Set(posted.map((id) => writers.get(id))).size).toBe(1);
      await expectLedgerInvariants(t.db.pool);
    });

    it('the same Idempotency-Key twice inside one group: the second replays the first (same transaction, Idempotency-Replayed) and money moves once', async () => {
      const walletId = await newWallet(t.http);
      const poor = await fundedWallet(t.http, 5);
      const slots = await occupySlots(t, 1);
      const before = await scrapePostingGroups(t.http);
      const deposit = (body: object, key?: string) => () => {
        const post = t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH);
        return started((key ? post.set('Idempotency-Key', key) : post).send(body));
      };
      const overdraw = () => started(t.http.post(`/v1/wallets/${poor}/withdrawals`).set(AUTH).set('Idempotency-Key', 'twice-refused').send({ amount: 50 }));

      const replies = await queueInOrder(t, [
        deposit({ amount: 500, reference: 'twice' }, 'twice-1'),
        deposit({ amount: 70 }),
        deposit({ amount: 500, reference: 'twice' }, 'twice-1'),
        overdraw,
        overdraw,
        deposit({ amount: 501, reference: 'twice' }, 'twice-1'),
      ]);
      await slots.free(0);
      const [first, other, again, refused, refusedAgain, reused] = await Promise.all(replies);

      expect([first, other, again, refused, refusedAgain, reused].map((reply) => reply!.status)).toEqual([201, 201, 201, 422, 422, 422]);
      expect(first!.headers['idempotency-replayed']).toBeUndefined();
      expect(again!.headers['idempotency-replayed']).toBe('true');
      expect(again!.body).toEqual(first!.body);
      expectProblem(refused!, 422, 'INSUFFICIENT_FUNDS');
      expect(refusedAgain!.body).toEqual({ ...refused!.body, requestId: refusedAgain!.body.requestId });
      expectProblem(reused!, 422, 'IDEMPOTENCY_KEY_REUSED');

      expect(await walletOf(t, walletId)).toEqual({ balance: 570, held: 0 });
      expect(await walletOf(t, poor)).toEqual({ balance: 5, held: 0 });
      const { rows } = await t.db.pool.query(`SELECT id FROM transactions WHERE wallet_id = $1 ORDER BY id`, [walletId]);
      expect(rows.map((row) => row.id).sort()).toEqual([first!.body.id, other!.body.id].sort());
      const keys = await t.db.pool.query(`SELECT key, transaction_id, error_code FROM idempotency_keys WHERE key IN ('twice-1', 'twice-refused') ORDER BY key`);
      expect(keys.rows).toEqual([
        { key: 'twice-1', transaction_id: first!.body.id, error_code: null },
        { key: 'twice-refused', transaction_id: null, error_code: 'INSUFFICIENT_FUNDS' },
      ]);
      const writers = await writersOf(t.db.pool, [first!.body.id, other!.body.id]);
      expect(writers.get(first!.body.id)).toBeDefined();
      expect(writers.get(first!.body.id)).toBe(writers.get(other!.body.id));
      const since = postingGroupsSince(before, await scrapePostingGroups(t.http));
      expect({ groups: since.groups, moves: since.moves }).toEqual({ groups: 1, moves: 6 });
      await expectLedgerInvariants(t.db.pool);
    });

    it.each(['COMMIT', 'ROLLBACK'] as const)(
      'a key held uncommitted by another connection while the service group carrying it waits: exactly one posts (outsider %s)',
      async (outcome) => {
        const walletId = await newWallet(t.http);
        const bystander = await newWallet(t.http);
        const key = `outside-${outcome}`;
        const body = { amount: 400 };
        // What another replica of the service would send for the same request: the same key, scope and hash.
        const context: CallContext = {
          tenantId: 'default',
          idempotency: { scope: SHOP_SCOPE, key, requestHash: requestHashOf('POST', `/v1/wallets/${walletId}/deposits`, body) },
          now: new Date(),
        };
        const outsiderTransactionId = randomUUID();
        const call = postMovement(context, { transactionId: outsiderTransactionId, type: 'deposit', debitWalletId: null, creditWalletId: walletId, amountMinor: 400 });
        const outsider = await t.db.pool.connect();
        try {
          await outsider.query('BEGIN');
          // The entry points themselves, without the events a service statement records: those take the tenant's
          // event counter until COMMIT, which would make this open transaction hold up every other posting of
          // the tenant (in the service that lock lives for a COMMIT only).
          const outcomes: string[] = [];
          for (const outsideCall of [call, postMovement({ ...context, idempotency: null }, { transactionId: randomUUID(), type: 'deposit', debitWalletId: null, creditWalletId: bystander, amountMinor: 1 })]) {
            const { expression, parameters } = renderCall(outsideCall);
            const { rows } = await outsider.query(`SELECT ${expression} AS result`, parameters);
            outcomes.push(rows[0].result.outcome);
          }
          expect(outcomes).toEqual(['posted', 'posted']);

          const slots = await occupySlots(t, 1);
          const replies = await queueInOrder(t, [
            () => started(t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', key).send(body)),
            () => started(t.http.post(`/v1/wallets/${bystander}/deposits`).set(AUTH).send({ amount: 25 })),
          ]);
          await slots.free(0);
          // The service's group is in the database, waiting for the wallet the outsider holds.
          await eventually('the group waits for the outsider', async () => (await serviceLockWaits(t.db.pool)).some((query) => query.includes('post_group')));
          await outsider.query(outcome);
          const [mine, theirs] = await Promise.all(replies);

          expect([mine!.status, theirs!.status]).toEqual([201, 201]);
          if (outcome === 'COMMIT') {
            expect(mine!.headers['idempotency-replayed']).toBe('true');
            expect(mine!.body.id).toBe(outsiderTransactionId);
          } else {
            expect(mine!.headers['idempotency-replayed']).toBeUndefined();
            expect(mine!.body.id).not.toBe(outsiderTransactionId);
          }
          expect(mine!.body.amount).toBe(400);
        } finally {
          outsider.release(true); // closed, not pooled: a failed assertion may have left its transaction open
        }
        expect((await walletOf(t, walletId)).balance).toBe(400);
        const { rows } = await t.db.pool.query(`SELECT id FROM transactions WHERE wallet_id = $1`, [walletId]);
        expect(rows).toHaveLength(1);
        expect((await walletOf(t, bystander)).balance).toBe(outcome === 'COMMIT' ? 26 : 25);
        await expectLedgerInvariants(t.db.pool);
      },
    );

    it.each([
      ['an amount of 0 (transactions_amount_check)', (call: EngineCall): EngineCall => ({ ...call, args: { ...call.args, p_amount: 0 } }), 'transactions_amount_check'],
      [
        'metadata that is a JSON array (transactions_metadata_check)',
        (call: EngineCall): EngineCall => ({ ...call, args: { ...call.args, p_metadata: JSON.stringify(['not', 'an', 'object']) } }),
        'transactions_metadata_check',
      ],
    ])('a group with one move that raises inside SQL, %s, is split: that move rejects with the database error, every other posts once', async (_, breakIt, constraint) => {
      const engine = t.app.get(LedgerEngine);
      const walletId = await fundedWallet(t.http, 1_000);
      const peer = await newWallet(t.http);
      const context = (key?: string): CallContext => ({
        tenantId: 'default',
        idempotency: key ? { scope: SHOP_SCOPE, key, requestHash: '0'.repeat(64) } : null,
        now: new Date(),
      });
      const move = (type: 'deposit' | 'withdrawal' | 'transfer', amountMinor: number, key?: string) => {
        const transactionId = randomUUID();
        const debitWalletId = type === 'deposit' ? null : walletId;
        const creditWalletId = type === 'deposit' ? walletId : type === 'transfer' ? peer : null;
        return { transactionId, call: postMovement(context(key), { transactionId, type, debitWalletId, creditWalletId, amountMinor }) };
      };
      const badKey = `bad-${constraint}`;
      const calls = [
        move('deposit', 100),
        move('withdrawal', 50, `good-${constraint}`),
        (() => {
          const bad = move('deposit', 7, badKey);
          return { ...bad, call: breakIt(bad.call) };
        })(),
        move('transfer', 25),
        move('deposit', 10),
      ];
      const slots = await occupySlots(t, 1);
      const before = await scrapePostingGroups(t.http);
      const results = await queueInOrder<EngineResult>(t, calls.map(({ call }) => () => engine.run(call)));
      await slots.free(0);
      const settled = await Promise.allSettled(results);

      expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const failure = (settled[2] as PromiseRejectedResult).reason as { code?: string; constraint?: string };
      expect({ code: failure.code, constraint: failure.constraint }).toEqual({ code: '23514', constraint });
      settled.forEach((result, index) => {
        if (index === 2) return;
        const value = (result as PromiseFulfilledResult<EngineResult>).value;
        expect(value.kind).toBe('transaction');
        if (value.kind !== 'transaction') return;
        expect({ id: value.transaction.id, replayed: value.replayed }).toEqual({ id: calls[index]!.transactionId, replayed: false });
      });

      // Nothing of the failing move exists: no transaction, no entries, no claimed key.
      const bad = calls[2]!.transactionId;
      expect((await t.db.pool.query('SELECT count(*)::int AS n FROM transactions WHERE id = $1', [bad])).rows[0].n).toBe(0);
      expect((await t.db.pool.query('SELECT count(*)::int AS n FROM entries WHERE transaction_id = $1', [bad])).rows[0].n).toBe(0);
      expect((await t.db.pool.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [badKey])).rows[0].n).toBe(0);
      // Each other move posted exactly once, each in a transaction of its own: the group went out whole, was
      // rolled back whole by the error, and its moves were then posted one by one.
      const good = calls.filter((_, index) => index !== 2).map((c) => c.transactionId);
      const counts = await t.db.pool.query(
        'SELECT t.id, count(e.id)::int AS entries FROM transactions t JOIN entries e ON e.transaction_id = t.id WHERE t.id = ANY($1::uuid[]) GROUP BY t.id',
        [good],
      );
      expect(counts.rows.map((row) => [row.id, row.entries]).sort()).toEqual(good.map((id) => [id, 2]).sort());
      const writers = await writersOf(t.db.pool, good);
      expect(new Set(good.map((id) => writers.get(id))).size).toBe(good.length);
      const goodKey = await t.db.pool.query('SELECT transaction_id FROM idempotency_keys WHERE key = $1', [`good-${constraint}`]);
      expect(goodKey.rows).toEqual([{ transaction_id: calls[1]!.transactionId }]);
      const since = postingGroupsSince(before, await scrapePostingGroups(t.http));
      expect({ groups: since.groups, moves: since.moves, queued: since.queued }).toEqual({ groups: 1, moves: 5, queued: 5 });

      expect(await walletOf(t, walletId)).toEqual({ balance: 1_000 + 100 - 50 - 25 + 10, held: 0 });
      expect(await walletOf(t, peer)).toEqual({ balance: 25, held: 0 });
      await expectLedgerInvariants(t.db.pool);
    });
  });

  describe('two posting slots (POSTING_MAX_IN_FLIGHT=2)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ POSTING_MAX_IN_FLIGHT: '2', ...LONG_WAITS });
    });
    afterAll(() => t.close());

    it('the same Idempotency-Key in two groups in flight at once: the first group posts it, the second replays it; never two postings', async () => {
      const walletId = await newWallet(t.http);
      const [other1, other2] = [await newWallet(t.http), await newWallet(t.http)];
      const body = { amount: 300, reference: 'two-groups' };
      const keyed = () => started(t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'two-groups-1').send(body));
      const slots = await occupySlots(t, 2);
      const before = await scrapePostingGroups(t.http);
      // A second key, claimed by an outside transaction that stays open: the first group stops on it after it
      // has claimed (but not committed) the shared key, so that group is held in flight as long as needed.
      const stopper = await t.db.pool.connect();
      try {
        await stopper.query('BEGIN');
        await stopper.query(`INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, 'two-groups-stopper', repeat('0', 64))`, [SHOP_SCOPE]);

        const firstGroup = await queueInOrder(t, [
          keyed,
          () => started(t.http.post(`/v1/wallets/${other1}/deposits`).set(AUTH).set('Idempotency-Key', 'two-groups-stopper').send({ amount: 20 })),
        ]);
        expect((await slots.free(0)).status).toBe(201);
        await eventually('the first group waits on the stopper key', async () => (await serviceLockWaits(t.db.pool)).filter((q) => q.includes('post_group')).length === 1);

        const secondGroup = await queueInOrder(t, [keyed, () => started(t.http.post(`/v1/wallets/${other2}/deposits`).set(AUTH).send({ amount: 15 }))]);
        expect((await slots.free(1)).status).toBe(201);
        // Both groups are in the database now: the second waits for the wallet the first has locked.
        await eventually('both groups wait', async () => (await serviceLockWaits(t.db.pool)).filter((q) => q.includes('post_group')).length === 2);

        await stopper.query('ROLLBACK');
        const [posted, stopperDeposit] = await Promise.all(firstGroup);
        const [replayed, bystander] = await Promise.all(secondGroup);

        expect([posted!.status, stopperDeposit!.status, replayed!.status, bystander!.status]).toEqual([201, 201, 201, 201]);
        expect(posted!.headers['idempotency-replayed']).toBeUndefined();
        expect(replayed!.headers['idempotency-replayed']).toBe('true');
        expect(replayed!.body).toEqual(posted!.body);

        const writers = await writersOf(t.db.pool, [posted!.body.id, stopperDeposit!.body.id, bystander!.body.id]);
        expect(writers.get(posted!.body.id)).toBeDefined();
        expect(writers.get(stopperDeposit!.body.id)).toBe(writers.get(posted!.body.id));
        expect(writers.get(bystander!.body.id)).toBeDefined();
        expect(writers.get(bystander!.body.id)).not.toBe(writers.get(posted!.body.id));
        const since = postingGroupsSince(before, await scrapePostingGroups(t.http));
        expect({ groups: since.groups, moves: since.moves, queued: since.queued }).toEqual({ groups: 2, moves: 4, queued: 4 });
      } finally {
        stopper.release(true);
      }
      expect((await walletOf(t, walletId)).balance).toBe(300);
      const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM transactions WHERE wallet_id = $1`, [walletId]);
      expect(rows[0].n).toBe(1);
      await expectLedgerInvariants(t.db.pool);
    });
  });

  describe('500 concurrent mixed moves on one hot wallet (POSTING_MAX_IN_FLIGHT=1)', () => {
    let t: TestApp;

    beforeAll(async () => {
      // One slot, so that groups form from what the storm sends; the default lock budget and group size.
      t = await startTestApp({ POSTING_MAX_IN_FLIGHT: '1', HOLD_SWEEP_INTERVAL_MS: '0' });
    });
    afterAll(() => t.close());

    /** Refusals a valid request can meet when others move the same money at the same time. */
    const RACE_REFUSALS = new Set(['INSUFFICIENT_FUNDS', 'HOLD_NOT_ACTIVE', 'AMOUNT_EXCEEDS_HOLD', 'AMOUNT_EXCEEDS_REFUNDABLE']);

    it('are exact to the cent: the balance moves by what the 2xx answers say, nothing posts for the others, and the history replays to the balance', async () => {
      const random = seededRandom(Number(process.env.GROUP_SEED ?? 20261204));
      const hot = await fundedWallet(t.http, 200_000);
      const peers = await Promise.all([1, 2, 3, 4].map(() => fundedWallet(t.http, 100_000)));
      // Holds to capture and void, and originals to refund, placed before the storm.
      const holds = new Map<string, number>();
      for (let i = 0; i < 60; i++) {
        const amount = random.int(100, 1_500);
        const reply = await t.http.post('/v1/holds').set(AUTH).send({ walletId: hot, amount }).expect(201);
        holds.set(reply.body.id, amount);
      }
      const refundable: string[] = [];
      for (let i = 0; i < 30; i++) {
        refundable.push((await t.http.post(`/v1/wallets/${hot}/deposits`).set(AUTH).send({ amount: random.int(200, 2_000) }).expect(201)).body.id);
        refundable.push(
          (await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: random.pick(peers), toWalletId: hot, amount: random.int(200, 2_000) }).expect(201)).body.id,
        );
      }
      const opening = await walletOf(t, hot);
      const existingTransactions = new Set((await t.db.pool.query('SELECT id FROM transactions')).rows.map((row) => row.id as string));
      const existingHolds = new Set((await t.db.pool.query('SELECT id FROM holds')).rows.map((row) => row.id as string));
      const holdIds = [...holds.keys()];

      type Kind = 'deposit' | 'withdrawal' | 'transfer_out' | 'transfer_in' | 'hold' | 'capture' | 'void' | 'refund' | 'batch';
      const kinds: Kind[] = ['deposit', 'withdrawal', 'transfer_out', 'transfer_in', 'hold', 'capture', 'void', 'refund', 'batch'];
      const planned = Array.from({ length: 500 }, (_, i) => {
        const kind = kinds[i % kinds.length]!; // every kind, evenly, in a seeded mix of amounts and targets
        const amount = random.int(1, 2_500);
        switch (kind) {
          case 'deposit':
            return { kind, send: () => t.http.post(`/v1/wallets/${hot}/deposits`).set(AUTH).send({ amount }) };
          case 'withdrawal':
            return { kind, send: () => t.http.post(`/v1/wallets/${hot}/withdrawals`).set(AUTH).send({ amount }) };
          case 'transfer_out':
            return { kind, send: () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: hot, toWalletId: random.pick(peers), amount }) };
          case 'transfer_in':
            return { kind, send: () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: random.pick(peers), toWalletId: hot, amount }) };
          case 'hold':
            return { kind, send: () => t.http.post('/v1/holds').set(AUTH).send({ walletId: hot, amount }) };
          case 'capture': {
            const holdId = random.pick(holdIds);
            const capture = { ...(random.chance(0.6) ? { amount: random.int(1, 1_500) } : {}), ...(random.chance(0.6) ? { toWalletId: random.pick(peers) } : {}) };
            return { kind, holdId, send: () => t.http.post(`/v1/holds/${holdId}/capture`).set(AUTH).send(capture) };
          }
          case 'void': {
            const holdId = random.pick(holdIds);
            return { kind, holdId, send: () => t.http.post(`/v1/holds/${holdId}/void`).set(AUTH).send({}) };
          }
          case 'refund': {
            const original = random.pick(refundable);
            const refund = random.chance(0.7) ? { amount: random.int(1, 900) } : {};
            return { kind, send: () => t.http.post(`/v1/transactions/${original}/refunds`).set(AUTH).send(refund) };
          }
          case 'batch': {
            const operations = [
              { type: 'deposit', walletId: hot, amount },
              { type: 'transfer', fromWalletId: hot, toWalletId: random.pick(peers), amount: random.int(1, 2_500) },
              { type: 'withdrawal', walletId: hot, amount: random.int(1, 2_500) },
            ];
            return { kind, send: () => t.http.post('/v1/batches').set(AUTH).send({ operations }) };
          }
        }
      });

      const before = await scrapePostingGroups(t.http);
      const replies = await Promise.all(planned.map((p) => started(p.send())));
      const since: PostingGroups = postingGroupsSince(before, await scrapePostingGroups(t.http));

      let balanceMoved = 0;
      let heldMoved = 0;
      const postedTransactions = new Set<string>();
      const placedHolds = new Set<string>();
      const released = new Map<string, string>(); // hold → 'captured' | 'voided'
      const unexpected: unknown[] = [];
      const outcomes = new Map<string, number>();
      replies.forEach((reply, i) => {
        const { kind } = planned[i]!;
        const holdId = (planned[i] as { holdId?: string }).holdId;
        const label = `${kind} ${reply.status}${reply.status >= 400 ? ` ${reply.body?.code}` : ''}`;
        outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
        if (reply.status === 200 || reply.status === 201) {
          const transactions: { id: string; entries: { walletId?: string; amount: number }[] }[] =
            kind === 'batch' ? reply.body.operations.map((operation: { transaction: unknown }) => operation.transaction) : Array.isArray(reply.body.entries) ? [reply.body] : [];
          for (const transaction of transactions) {
            postedTransactions.add(transaction.id);
            for (const entry of transaction.entries) if (entry.walletId === hot) balanceMoved += entry.amount;
          }
          if (kind === 'hold') {
            placedHolds.add(reply.body.id);
            heldMoved += reply.body.amount;
          }
          if (kind === 'capture' || kind === 'void') {
            expect(released.has(holdId!)).toBe(false); // one hold is released once
            released.set(holdId!, kind === 'capture' ? 'captured' : 'voided');
            heldMoved -= holds.get(holdId!)!;
          }
          return;
        }
        if (!((reply.status === 409 || reply.status === 422) && RACE_REFUSALS.has(reply.body?.code))) {
          unexpected.push({ kind, status: reply.status, code: reply.body?.code, detail: reply.body?.detail });
        }
      });
      expect(unexpected).toEqual([]);
      // The storm did what it meant to: every kind went through at least once.
      for (const kind of kinds) expect({ kind, succeeded: [...outcomes].some(([label]) => label.startsWith(`${kind} 20`)) }).toEqual({ kind, succeeded: true });
      // Groups formed: more moves than groups went out, and moves waited for a slot.
      expect(since.moves).toBe(500);
      expect(since.groups).toBeLessThan(since.moves);
      expect(since.queued).toBeGreaterThan(0);
      expect(since.atMost['2']).toBeLessThan(since.groups); // some group carried more than two

      // Exact to the cent, by the API.
      expect(await walletOf(t, hot)).toEqual({ balance: opening.balance + balanceMoved, held: opening.held + heldMoved });
      // Nothing posted but the 2xx: the storm's transactions and holds in the database are exactly the answered ones.
      const newTransactions = (await t.db.pool.query('SELECT id FROM transactions')).rows.map((row) => row.id as string).filter((id) => !existingTransactions.has(id));
      expect(newTransactions.sort()).toEqual([...postedTransactions].sort());
      const newHolds = (await t.db.pool.query('SELECT id FROM holds')).rows.map((row) => row.id as string).filter((id) => !existingHolds.has(id));
      expect(newHolds.sort()).toEqual([...placedHolds].sort());
      const statuses = await t.db.pool.query(`SELECT id, status FROM holds WHERE id = ANY($1::uuid[])`, [holdIds]);
      for (const { id, status } of statuses.rows) expect({ id, status }).toEqual({ id, status: released.get(id) ?? 'active' });

      // The history replays to the balance: the statement's running balances chain from 0 to the balance …
      const statement = await t.http.get(`/v1/wallets/${hot}/statement`).set(AUTH).expect(200);
      expect(statement.body.openingBalance).toBe(0);
      let running = 0;
      for (const entry of statement.body.entries as { amount: number; balanceAfter: number }[]) {
        running += entry.amount;
        expect(entry.balanceAfter).toBe(running);
      }
      expect(running).toBe(opening.balance + balanceMoved);
      expect(statement.body.closingBalance).toBe(running);
      // … and the transaction history, every page, lists exactly the statement's transactions.
      const history: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Response = await t.http
          .get(`/v1/wallets/${hot}/transactions`)
          .query({ limit: 100, order: 'asc', ...(cursor ? { cursor } : {}) })
          .set(AUTH)
          .expect(200);
        history.push(...page.body.data.map((transaction: { id: string }) => transaction.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      const statementTransactions = (statement.body.entries as { transactionId: string }[]).map((entry) => entry.transactionId);
      expect(history).toEqual(statementTransactions);
      for (const id of postedTransactions) expect(statementTransactions).toContain(id);

      await expectLedgerInvariants(t.db.pool);
      const verify = await t.http.get('/v1/admin/ledger/verify').set(ACME_AUTH).expect(200);
      expect({ ok: verify.body.ok, driftCount: verify.body.driftCount }).toEqual({ ok: true, driftCount: 0 });
    });
  });

  describe('low load (default settings)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
    });
    afterAll(() => t.close());

    it('one request at a time: every move goes out at once as a group of one, and none waits', async () => {
      const a = await fundedWallet(t.http, 10_000);
      const b = await fundedWallet(t.http, 10_000);
      const original = (await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: a, toWalletId: b, amount: 1_000 }).expect(201)).body.id;
      const before = await scrapePostingGroups(t.http);

      const moves: (() => Promise<Response>)[] = [
        () => t.http.post(`/v1/wallets/${a}/deposits`).set(AUTH).send({ amount: 100 }),
        () => t.http.post(`/v1/wallets/${a}/withdrawals`).set(AUTH).send({ amount: 40 }),
        () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: a, toWalletId: b, amount: 30 }),
        () => t.http.post(`/v1/transactions/${original}/refunds`).set(AUTH).send({ amount: 10 }),
        () => t.http.post(`/v1/wallets/${a}/withdrawals`).set(AUTH).send({ amount: 1_000_000 }), // a refusal is a move too
        () => t.http.post('/v1/batches').set(AUTH).send({ operations: [{ type: 'deposit', walletId: b, amount: 5 }] }),
      ];
      const holdThen = async (finish: 'capture' | 'void') => {
        const hold = await t.http.post('/v1/holds').set(AUTH).send({ walletId: a, amount: 50 });
        expect(hold.status).toBe(201);
        return t.http.post(`/v1/holds/${hold.body.id}/${finish}`).set(AUTH).send(finish === 'capture' ? { toWalletId: b } : {});
      };
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const move of moves) statuses.push((await move()).status);
        statuses.push((await holdThen('capture')).status, (await holdThen('void')).status);
      }
      const count = 3 * (moves.length + 4);
      expect(statuses).toEqual(Array.from({ length: 3 }, () => [201, 201, 201, 201, 422, 201, 201, 200]).flat());

      const since = postingGroupsSince(before, await scrapePostingGroups(t.http));
      expect({ groups: since.groups, moves: since.moves, queued: since.queued, ofOne: since.atMost['1'] }).toEqual({
        groups: count,
        moves: count,
        queued: 0,
        ofOne: count,
      });
      await expectLedgerInvariants(t.db.pool);
    });
  });
});
