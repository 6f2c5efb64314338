import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { eventually, lockWallet, postingGroupsOf, parseExposition, serviceLockWaits, type WalletLock } from '../support/group-posting.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { seededRandom } from '../support/seeded-random.js';
import { type SpawnedService, spawnService } from '../support/spawned-service.js';
import { API_KEY } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The built service (dist/src/main.js; `npm test` builds it) killed with SIGKILL while a posting group is in
 * flight: no drain, no shutdown hook, its sockets simply gone. The database alone must then hold a ledger in
 * which every answered 201 is posted, nothing is half-posted, and the books balance; and a client that retries
 * every request with its Idempotency-Key against a fresh process gets each posted exactly once.
 */

const SERVICE_ENTRY = 'dist/src/main.js' as const;
const VERIFY_CLI = 'dist/src/cli/verify-ledger.js';
const REQUESTS = 400;
const CONCURRENCY = 40;
/** Answers to wait for before the kill, so that the kill lands in a stream that has been grouping for a while. */
const ANSWERS_BEFORE_KILL = 120;

/** The built service on a free port, once it answers ready. */
function startService(databaseUrl: string): Promise<SpawnedService> {
  return spawnService(SERVICE_ENTRY, databaseUrl, {
    // One slot: whatever arrives while a group is in flight goes out in the next group.
    POSTING_MAX_IN_FLIGHT: '1',
    // The outside lock below is held for as long as the test needs; no timeout may answer first.
    DB_LOCK_TIMEOUT_MS: '30000',
    DB_STATEMENT_TIMEOUT_MS: '40000',
    REQUEST_TIMEOUT_MS: '50000',
  });
}

/** The ledger self-check as operators run it (`npm run ledger:verify -- --json`): exit code and report. */
function verifyLedger(databaseUrl: string): Promise<{ code: number | null; report: { ok: boolean; driftCount: number } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VERIFY_CLI, '--json'], { env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        resolve({ code, report: JSON.parse(stdout) });
      } catch (error) {
        reject(new Error(`ledger:verify printed no report (exit ${code}): ${String(error)}\n${stdout}`));
      }
    });
  });
}

interface Planned {
  key: string;
  path: string;
  body: Record<string, unknown>;
  /** What the move does to each wallet's balance once posted. */
  effect: Record<string, number>;
}

type Answer = { status: number; id?: string; replayed: boolean } | 'lost';

async function post(base: string, path: string, body: object, key?: string): Promise<{ status: number; body: any; replayed: boolean }> {
  const reply = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
    body: JSON.stringify(body),
  });
  return { status: reply.status, body: await reply.json(), replayed: reply.headers.get('idempotency-replayed') === 'true' };
}

describe('the service killed (SIGKILL) while posting groups are in flight', () => {
  let db: TestDatabase;
  let service: SpawnedService | undefined;
  let lock: WalletLock | undefined;

  beforeAll(async () => {
    if (!existsSync(VERIFY_CLI)) throw new Error(`${VERIFY_CLI} is missing: run npm run build (npm test does)`);
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await lock?.release('ROLLBACK');
    service?.child.kill('SIGKILL');
    await service?.exited;
    await db.drop();
  });

  it('leaves every answered 201 posted, nothing half-posted, balanced books; retried with their keys, every request posts exactly once', async () => {
    service = await startService(db.url);
    const random = seededRandom(Number(process.env.CRASH_SEED ?? 20261205));
    const wallet = async (funding: number) => {
      const created = await post(service!.base, '/v1/wallets', { ownerId: `crash-${Math.random()}`, currency: 'EUR' });
      expect(created.status).toBe(201);
      if (funding > 0) expect((await post(service!.base, `/v1/wallets/${created.body.id}/deposits`, { amount: funding })).status).toBe(201);
      return created.body.id as string;
    };
    const hot = await wallet(1_000_000);
    const others = await Promise.all(Array.from({ length: 8 }, () => wallet(100_000)));
    const opening = new Map<string, number>([[hot, 1_000_000], ...others.map((id) => [id, 100_000] as [string, number])]);
    const setupTransactions = Number((await db.pool.query('SELECT count(*)::int AS n FROM transactions')).rows[0].n);

    // Deposits and transfers in and out of one hot wallet, every one with its own key; funds never run short,
    // so each request, once posted, has exactly the effect planned for it.
    const plan: Planned[] = Array.from({ length: REQUESTS }, (_, i) => {
      const amount = random.int(1, 1_000);
      const other = random.pick(others);
      const key = `crash-${i}`;
      switch (i % 4) {
        case 0:
          return { key, path: `/v1/wallets/${other}/deposits`, body: { amount }, effect: { [other]: amount } };
        case 1:
          return { key, path: `/v1/wallets/${hot}/deposits`, body: { amount }, effect: { [hot]: amount } };
        case 2:
          return { key, path: '/v1/transfers', body: { fromWalletId: other, toWalletId: hot, amount }, effect: { [other]: -amount, [hot]: amount } };
        default:
          return { key, path: '/v1/transfers', body: { fromWalletId: hot, toWalletId: other, amount }, effect: { [hot]: -amount, [other]: amount } };
      }
    });

    // The stream: CONCURRENCY clients, each sending the next planned request as soon as it has its answer.
    const answers: Answer[] = new Array(REQUESTS);
    let next = 0;
    let killed = false;
    const base = service.base;
    const clients = Array.from({ length: CONCURRENCY }, async () => {
      while (!killed && next < REQUESTS) {
        const i = next++;
        const { path, body, key } = plan[i]!;
        try {
          const reply = await post(base, path, body, key);
          answers[i] = { status: reply.status, id: reply.body.id, replayed: reply.replayed };
        } catch {
          answers[i] = 'lost'; // the process died under this request
        }
      }
    });
    const answered201 = () => answers.filter((a) => a !== 'lost' && a?.status === 201).length;

    // Once the stream has been grouping for a while, hold the hot wallet's row lock from outside until a
    // group (a post_group statement, not a lone move) is in the database waiting for it: that group is in
    // flight, with more moves queued behind it, when the process is killed.
    await eventually('the stream is under way', () => answered201() >= ANSWERS_BEFORE_KILL);
    let groupInFlight = false;
    for (let attempt = 0; attempt < 20 && !groupInFlight; attempt++) {
      lock = await lockWallet(db.pool, hot);
      await eventually('a posting statement waits for the hot wallet', async () => (await serviceLockWaits(db.pool)).length > 0);
      groupInFlight = (await serviceLockWaits(db.pool)).some((query) => query.includes('post_group'));
      if (!groupInFlight) {
        // a lone move was in flight at that moment: let it through and try again a few answers later
        const seen = answered201();
        await lock.release('COMMIT');
        lock = undefined;
        await eventually('more answers', () => answered201() >= seen + 5 || next >= REQUESTS);
      }
    }
    expect(groupInFlight).toBe(true);
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    const groups = postingGroupsOf(parseExposition(metrics));
    // Groups had formed before the kill: more moves than groups went out, and moves waited for the slot.
    expect(groups.moves).toBeGreaterThan(groups.groups);
    expect(groups.queued).toBeGreaterThan(0);

    killed = true;
    service.child.kill('SIGKILL');
    expect((await service.exited).signal).toBe('SIGKILL');
    service = undefined;
    await Promise.all(clients);
    // The group stuck on the lock outlives its client; let it finish (commit or roll back, whole) and go.
    await lock!.release('COMMIT');
    lock = undefined;
    await eventually('every session of the killed service is gone', async () => {
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'wallet-service'`,
      );
      return rows[0].n === 0;
    });

    const lost = answers.filter((a) => a === 'lost').length;
    const answered = answers.map((a, i) => ({ a, i })).filter(({ a }) => a !== undefined && a !== 'lost') as { a: Exclude<Answer, 'lost'>; i: number }[];
    expect(lost).toBeGreaterThan(0); // the kill did cut requests off mid-flight
    expect(answered.filter(({ a }) => a.status !== 201)).toEqual([]);

    // Every 201 is in the ledger, under its key.
    const keys = new Map(
      (await db.pool.query(`SELECT key, transaction_id FROM idempotency_keys WHERE key LIKE 'crash-%'`)).rows.map((row) => [row.key as string, row.transaction_id as string]),
    );
    for (const { a, i } of answered) expect({ key: plan[i]!.key, transaction: keys.get(plan[i]!.key) }).toEqual({ key: plan[i]!.key, transaction: a.id });
    // Nothing half-posted: every transaction has its two entries summing to zero, every key its transaction,
    // and every transaction of the stream its key.
    expect(
      (
        await db.pool.query(`SELECT t.id FROM transactions t LEFT JOIN entries e ON e.transaction_id = t.id
                              GROUP BY t.id HAVING count(e.id) <> 2 OR coalesce(sum(e.amount), 0) <> 0`)
      ).rows,
    ).toEqual([]);
    expect(
      (
        await db.pool.query(`SELECT k.key FROM idempotency_keys k LEFT JOIN transactions t ON t.id = k.transaction_id
                              WHERE k.key LIKE 'crash-%' AND t.id IS NULL`)
      ).rows,
    ).toEqual([]);
    const streamTransactions = Number((await db.pool.query('SELECT count(*)::int AS n FROM transactions')).rows[0].n) - setupTransactions;
    expect(streamTransactions).toBe(keys.size);
    expect(keys.size).toBeGreaterThanOrEqual(answered.length);
    // Balances are the sum of their entries (and the rest of the ledger's invariants), by SQL and by ledger:verify.
    await expectLedgerInvariants(db.pool);
    const verified = await verifyLedger(db.url);
    expect({ code: verified.code, ok: verified.report.ok, driftCount: verified.report.driftCount }).toEqual({ code: 0, ok: true, driftCount: 0 });

    // A fresh process; every client retries every request with its key (those never sent, too).
    service = await startService(db.url);
    const retried: { status: number; id: string; replayed: boolean }[] = new Array(REQUESTS);
    let cursor = 0;
    const fresh = service.base;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (cursor < REQUESTS) {
          const i = cursor++;
          const reply = await post(fresh, plan[i]!.path, plan[i]!.body, plan[i]!.key);
          retried[i] = { status: reply.status, id: reply.body.id, replayed: reply.replayed };
        }
      }),
    );
    expect(retried.filter((r) => r.status !== 201)).toEqual([]);
    retried.forEach((reply, i) => {
      const posted = keys.get(plan[i]!.key);
      // posted before the kill (answered or not): the retry replays it; otherwise the retry posts it now
      expect({ i, replayed: reply.replayed, id: posted === undefined ? 'new' : reply.id }).toEqual({ i, replayed: posted !== undefined, id: posted ?? 'new' });
    });

    // Exactly once, to the cent: each key names one transaction, and every balance moved by the whole plan.
    const { rows: perKey } = await db.pool.query(
      `SELECT count(*)::int AS keys, count(DISTINCT transaction_id)::int AS transactions FROM idempotency_keys WHERE key LIKE 'crash-%'`,
    );
    expect(perKey[0]).toEqual({ keys: REQUESTS, transactions: REQUESTS });
    expect(Number((await db.pool.query('SELECT count(*)::int AS n FROM transactions')).rows[0].n) - setupTransactions).toBe(REQUESTS);
    const expected = new Map(opening);
    for (const { effect } of plan) for (const [id, delta] of Object.entries(effect)) expected.set(id, expected.get(id)! + delta);
    const { rows: balances } = await db.pool.query(`SELECT id, balance::text FROM wallets WHERE id = ANY($1::uuid[])`, [[...opening.keys()]]);
    expect(new Map(balances.map((row) => [row.id as string, Number(row.balance)]))).toEqual(expected);
    await expectLedgerInvariants(db.pool);

    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
    service = undefined;
  });
});
