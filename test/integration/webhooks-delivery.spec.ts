import { seededRandom } from '../support/seeded-random.js';
import { eventually } from '../support/group-posting.js';
import { postJson, spawnService, type SpawnedService } from '../support/spawned-service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

/**
 * Webhook delivery across processes, with the built service: the API killed with SIGKILL in the middle of a
 * load of transfers while deliveries are in flight, and delivery moved to `npm run worker` processes, two of
 * them on one database. Receivers verify every request with `standardwebhooks`.
 */

const DELIVERY_ENV = { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_POLL_INTERVAL_MS: '20', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_TIMEOUT_MS: '2000' };

/** Transaction ids of the transaction.posted webhooks a receiver verified, counting repeats. */
function postedTransactionIds(receiver: Receiver): string[] {
  return receiver.received
    .filter((r) => !('error' in r.verified) && (r.verified as any).type === 'transaction.posted')
    .map((r) => (r.verified as any).data.transaction.id as string);
}

describe('webhook delivery with the built service', () => {
  let db: TestDatabase;
  const processes: SpawnedService[] = [];
  const receivers: Receiver[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    await db.drop();
  });

  async function endpoint(base: string, receiver: Receiver, eventTypes: string[] = ['transaction.posted']) {
    const created = await postJson(base, '/v1/webhook-endpoints', { url: receiver.url, eventTypes });
    expect(created.status).toBe(201);
    receiver.useSecret(created.body.secret);
    return created.body.id as string;
  }

  it('SIGKILLed in the middle of a load of transfers and restarted: every committed transaction is delivered, no refused move has an event', async () => {
    // A receiver that takes a while to answer, so attempts are in flight when the process dies.
    const receiver = await startReceiver();
    receivers.push(receiver);
    let first = await spawnService('dist/src/main.js', db.url, DELIVERY_ENV);
    processes.push(first);
    await endpoint(first.base, receiver);
    const wallets: string[] = [];
    for (let i = 0; i < 6; i++) {
      const created = await postJson(first.base, '/v1/wallets', { ownerId: `kill-${i}`, currency: 'EUR' });
      wallets.push(created.body.id);
      // small balances: many transfers are refused for funds, and must leave no event
      expect((await postJson(first.base, `/v1/wallets/${created.body.id}/deposits`, { amount: 300 })).status).toBe(201);
    }
    const random = seededRandom(20261204);
    let answered = 0;
    let refused = 0;
    let stop = false;
    const clients = Array.from({ length: 24 }, async () => {
      while (!stop) {
        const from = random.pick(wallets);
        const to = random.pick(wallets.filter((w) => w !== from));
        try {
          const reply = await postJson(first.base, '/v1/transfers', { fromWalletId: from, toWalletId: to, amount: random.int(1, 200) });
          answered += 1;
          if (reply.status === 422) refused += 1;
        } catch {
          return; // the process died under this request
        }
      }
    });
    await eventually('the load is under way', () => answered >= 200 && receiver.received.length >= 50, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(clients);
    expect(refused).toBeGreaterThan(0);

    const second = await spawnService('dist/src/main.js', db.url, DELIVERY_ENV);
    processes.push(second);
    const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM transactions WHERE type = 'transfer'`);
    const committed = new Set(rows.map((r) => r.id));
    await eventually('every committed transfer delivered', () => {
      const delivered = new Set(postedTransactionIds(receiver));
      return [...committed].every((id) => delivered.has(id));
    }, 60_000);

    // Nothing but committed transactions was delivered: a refused move wrote no event (and its transaction never existed).
    const deliveredTransfers = new Set(postedTransactionIds(receiver));
    const { rows: everyTransaction } = await db.pool.query<{ id: string }>(`SELECT id FROM transactions`);
    const known = new Set(everyTransaction.map((r) => r.id));
    expect([...deliveredTransfers].filter((id) => !known.has(id))).toEqual([]);
    const { rows: [counts] } = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM events WHERE type = 'transaction.posted') AS events, (SELECT count(*)::int FROM transactions) AS transactions`);
    expect(counts.events).toBe(counts.transactions);
    // Every request verified, and a repeat (at least once, across the crash) carries the same id and body.
    expect(receiver.received.every((r) => !('error' in r.verified))).toBe(true);
    const bodyById = new Map<string, string>();
    for (const r of receiver.received) {
      const id = r.headers['webhook-id'] as string;
      expect(bodyById.get(id) ?? r.body).toBe(r.body);
      bodyById.set(id, r.body);
    }
  });

  it('npm run worker delivers for an API with WEBHOOK_WORKER=false; two workers on one database send each event once', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const api = await spawnService('dist/src/main.js', db.url, { ...DELIVERY_ENV, WEBHOOK_WORKER: 'false' });
    processes.push(api);
    await endpoint(api.base, receiver);
    const wallet = (await postJson(api.base, '/v1/wallets', { ownerId: 'workers', currency: 'EUR' })).body.id as string;
    for (let i = 0; i < 20; i++) expect((await postJson(api.base, `/v1/wallets/${wallet}/deposits`, { amount: 1 })).status).toBe(201);
    // The API itself delivers nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(0);

    const workers = await Promise.all([spawnService('dist/src/worker.js', db.url, DELIVERY_ENV), spawnService('dist/src/worker.js', db.url, DELIVERY_ENV)]);
    processes.push(...workers);
    const clients = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 45; i++) expect((await postJson(api.base, `/v1/wallets/${wallet}/deposits`, { amount: 1 })).status).toBe(201);
    });
    await Promise.all(clients);
    await eventually('all 200 deposits delivered', () => new Set(receiver.ids()).size >= 200, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = receiver.ids();
    expect(new Set(ids).size).toBe(200);
    expect(ids).toHaveLength(200); // no event sent twice
    expect(receiver.received.every((r) => !('error' in r.verified))).toBe(true);
    // Both workers took part.
    const metrics = await Promise.all(workers.map((w) => fetch(`${w.base}/metrics`).then((r) => r.text())));
    const delivered = metrics.map((text) => Number(/wallet_webhook_attempts_total\{outcome="delivered"\} (\d+)/.exec(text)?.[1] ?? 0));
    expect(delivered.reduce((a, b) => a + b, 0)).toBe(200);
    // The worker serves no API.
    expect((await fetch(`${workers[0]!.base}/v1/events`)).status).toBe(404);
  });
});
