import type { Response } from 'supertest';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { ACME_AUTH, AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * Every kind of money move at once: deposits, withdrawals, transfers, holds (some expiring within the run,
 * with the sweeper running every 50 ms), partial and whole captures to sellers and to revenue, voids,
 * partial refunds and batches, fired in waves of concurrent requests over a few shared wallets, so that
 * captures race voids, expiry and refunds race each other, and batches lock across everything. Each answer
 * must be a success or one of the refusals the contract names for that race; afterwards the books must
 * balance by an independent SQL check and by the service's own self-check. Seeded: the same run each time;
 * MIXED_SEED=<n> plays another.
 */

const WAVES = 12;
const REQUESTS_PER_WAVE = 40;
/** Refusals a valid request can meet when others move the same money at the same time. */
const RACE_REFUSALS = new Set(['INSUFFICIENT_FUNDS', 'HOLD_NOT_ACTIVE', 'AMOUNT_EXCEEDS_HOLD', 'AMOUNT_EXCEEDS_REFUNDABLE']);

describe('a mixed concurrent workload of every money move', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '50' });
  });
  afterAll(() => t.close());

  it('answers every request with a success or a race refusal, and leaves the books balanced', async () => {
    const random = seededRandom(Number(process.env.MIXED_SEED ?? 20261125));
    const buyers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => fundedWallet(t.http, `mix-buyer-${i}`, 20_000)));
    const sellers = await Promise.all([1, 2].map((i) => fundedWallet(t.http, `mix-seller-${i}`, 0)));
    const holds: string[] = [];
    const refundable: string[] = [];
    const outcomes = new Map<string, number>();
    const unexpected: unknown[] = [];

    const hold = () => ({ walletId: random.pick(buyers), amount: random.int(1, 3_000), ...(random.chance(0.3) ? { expiresInSeconds: 1 } : {}) });
    const capture = () => ({ ...(random.chance(0.5) ? { amount: random.int(1, 2_000) } : {}), ...(random.chance(0.7) ? { toWalletId: random.pick(sellers) } : {}) });
    const twoBuyers = () => {
      const from = random.pick(buyers);
      let to = random.pick([...buyers, ...sellers]);
      while (to === from) to = random.pick([...buyers, ...sellers]);
      return { fromWalletId: from, toWalletId: to };
    };

    const request = (): { kind: string; send: () => Promise<Response> } => {
      const kind = random.pick(['deposit', 'withdrawal', 'transfer', 'transfer', 'hold', 'hold', 'capture', 'capture', 'void', 'refund', 'batch']);
      const post = (path: string, body: unknown) => () => t.http.post(path).set(AUTH).send(body as object).then((r) => r);
      switch (kind) {
        case 'deposit':
          return { kind, send: post(`/v1/wallets/${random.pick(buyers)}/deposits`, { amount: random.int(1, 5_000) }) };
        case 'withdrawal':
          return { kind, send: post(`/v1/wallets/${random.pick([...buyers, ...sellers])}/withdrawals`, { amount: random.int(1, 4_000) }) };
        case 'transfer':
          return { kind, send: post('/v1/transfers', { ...twoBuyers(), amount: random.int(1, 4_000) }) };
        case 'hold':
          return { kind, send: post('/v1/holds', hold()) };
        case 'capture':
          if (holds.length === 0) return { kind: 'hold', send: post('/v1/holds', hold()) };
          return { kind, send: post(`/v1/holds/${random.pick(holds)}/capture`, capture()) };
        case 'void':
          if (holds.length === 0) return { kind: 'hold', send: post('/v1/holds', hold()) };
          return { kind, send: post(`/v1/holds/${random.pick(holds)}/void`, {}) };
        case 'refund':
          if (refundable.length === 0) return { kind: 'deposit', send: post(`/v1/wallets/${random.pick(buyers)}/deposits`, { amount: 100 }) };
          return { kind, send: post(`/v1/transactions/${random.pick(refundable)}/refunds`, random.chance(0.7) ? { amount: random.int(1, 1_500) } : {}) };
        default: {
          const operations = Array.from({ length: random.int(2, 5) }, () => {
            const type = random.pick(['deposit', 'withdrawal', 'transfer', 'hold', ...(holds.length > 0 ? ['capture'] : [])]);
            if (type === 'deposit' || type === 'withdrawal') return { type, walletId: random.pick(buyers), amount: random.int(1, 2_000) };
            if (type === 'transfer') return { type, ...twoBuyers(), amount: random.int(1, 2_000) };
            if (type === 'hold') return { type, ...hold() };
            return { type, holdId: random.pick(holds), ...capture() };
          });
          return { kind, send: post('/v1/batches', { operations }) };
        }
      }
    };

    for (let wave = 0; wave < WAVES; wave++) {
      const planned = Array.from({ length: REQUESTS_PER_WAVE }, request);
      const replies = await Promise.all(planned.map((p) => p.send()));
      replies.forEach((reply, i) => {
        const { kind } = planned[i];
        const key = `${kind} ${reply.status}${reply.status >= 400 ? ` ${reply.body?.code}` : ''}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (reply.status === 200 || reply.status === 201) {
          if (kind === 'hold') holds.push(reply.body.id);
          if (kind === 'capture' || kind === 'transfer' || kind === 'deposit') refundable.push(reply.body.id);
          if (kind === 'batch') {
            for (const result of reply.body.operations) {
              if (result.hold) holds.push(result.hold.id);
              if (result.transaction && ['capture', 'transfer', 'deposit'].includes(result.transaction.type)) refundable.push(result.transaction.id);
            }
          }
          return;
        }
        const allowed = (reply.status === 409 || reply.status === 422) && RACE_REFUSALS.has(reply.body?.code);
        if (!allowed) unexpected.push({ kind, status: reply.status, code: reply.body?.code, detail: reply.body?.detail });
      });
    }

    expect(unexpected).toEqual([]);
    // The workload did what it meant to: every kind of move succeeded at least once, and races were lost.
    for (const kind of ['deposit', 'withdrawal', 'transfer', 'hold', 'capture', 'void', 'refund', 'batch']) {
      const succeeded = [...outcomes].filter(([key]) => key.startsWith(`${kind} 20`)).reduce((sum, [, n]) => sum + n, 0);
      expect({ kind, succeeded: succeeded > 0 }).toEqual({ kind, succeeded: true });
    }
    expect([...outcomes.keys()].some((key) => key.includes('HOLD_NOT_ACTIVE'))).toBe(true);

    await expectLedgerInvariants(t.db.pool);
    const verify = await t.http.get('/v1/admin/ledger/verify').set(ACME_AUTH).expect(200);
    expect({ ok: verify.body.ok, driftCount: verify.body.driftCount }).toEqual({ ok: true, driftCount: 0 });
  });
});
