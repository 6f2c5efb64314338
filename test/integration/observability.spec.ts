import { jest } from '@jest/globals';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Test } from 'supertest';
import { validateEnvironment } from '../../src/config/environment.js';
import { HoldsSweeper } from '../../src/ledger/holds/holds.sweeper.js';
import { setLogDestinationForTests } from '../../src/observability/access-log.js';
import { WalletsService } from '../../src/wallets/wallets.service.js';
import { waitUntilSomeoneWaits } from '../support/lock-waits.js';
import { manualClock } from '../support/manual-clock.js';
import { API_KEY, AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';
import { freePort } from '../bench/service-process.js';

/**
 * GET /metrics after a scripted workload, the METRICS_TOKEN gate, and the JSON access log: one line per
 * request with method, route pattern, status, duration and request id, and never a key. Real HTTP on a
 * real PostgreSQL; no assertion on how long anything took.
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const METRICS_TOKEN = 'scrape-token-0123456789';
/** Above PostgreSQL's default deadlock_timeout (1 s), so the forced deadlock is detected before lock_timeout fires. */
const LOCK_TIMEOUT_MS = 1_500;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, as far as these metrics use it: `name{label="value",…} number` lines. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The one sample of `name` whose labels include `labels` (0 when there is none; two is a test bug). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

interface LogLine {
  level: number;
  msg?: string;
  requestId?: string;
  reqId?: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  tenant?: string;
  err?: { message?: string };
  [key: string]: unknown;
}

describe('observability', () => {
  let t: TestApp;
  const logOutput: string[] = [];
  const logLines = (): LogLine[] =>
    logOutput
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LogLine);
  const accessLines = (requestId: string) => logLines().filter((l) => l.requestId === requestId && (l.msg === 'request completed' || l.msg === 'request failed'));

  beforeAll(async () => {
    // nestjs-pino keeps one logger per process, built by the first app: this one, at info, writing here.
    setLogDestinationForTests({ write: (chunk: string) => void logOutput.push(chunk) });
    t = await startTestApp({ LOG_LEVEL: 'info', LOG_REQUESTS: 'true', HOLD_SWEEP_INTERVAL_MS: '0', DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS) });
  });
  afterAll(async () => {
    await t.close();
    setLogDestinationForTests(undefined);
  });

  describe('GET /metrics after a workload', () => {
    let samples: Sample[];
    let exposition: string;
    let contentType: string;

    beforeAll(async () => {
      const { http } = t;
      const wallet = await fundedWallet(http, 'obs-buyer', 10_000); // a wallet and a posted deposit
      const seller = await fundedWallet(http, 'obs-seller', 0);

      await http.post(`/v1/wallets/${wallet}/withdrawals`).set(AUTH).send({ amount: 1_000_000 }).expect(422);
      const deposit = await http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Idempotency-Key', 'obs-deposit').send({ amount: 500 }).expect(201);
      const replay = await http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Idempotency-Key', 'obs-deposit').send({ amount: 500 }).expect(201);
      expect(replay.headers['idempotency-replayed']).toBe('true');
      await http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Idempotency-Key', 'obs-deposit').send({ amount: 501 }).expect(422);
      await http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'obs-wallet').send({ ownerId: 'obs-third', currency: 'EUR' }).expect(201);
      const walletReplay = await http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'obs-wallet').send({ ownerId: 'obs-third', currency: 'EUR' }).expect(201);
      expect(walletReplay.headers['idempotency-replayed']).toBe('true');

      // One of every other kind of move: capture, void, refund, batch (holds come with them).
      const captured = await http.post('/v1/holds').set(AUTH).send({ walletId: wallet, amount: 300 }).expect(201);
      await http.post(`/v1/holds/${captured.body.id}/capture`).set(AUTH).send({ toWalletId: seller }).expect(201);
      const voided = await http.post('/v1/holds').set(AUTH).send({ walletId: wallet, amount: 200 }).expect(201);
      await http.post(`/v1/holds/${voided.body.id}/void`).set(AUTH).expect(200);
      await http.post(`/v1/transactions/${deposit.body.id}/refunds`).set(AUTH).send({ amount: 100 }).expect(201);
      await http.post('/v1/batches').set(AUTH).send({ operations: [{ type: 'deposit', walletId: wallet, amount: 1 }] }).expect(201);

      // A hold that expires, tidied by the sweeper under a manual clock.
      const clock = manualClock(t.app);
      try {
        await http.post('/v1/holds').set(AUTH).send({ walletId: wallet, amount: 50, expiresInSeconds: 60 }).expect(201);
        clock.advance(61_000);
        expect(await t.app.get(HoldsSweeper).sweep()).toBe(1);
      } finally {
        clock.restore();
      }

      // A wallet row lock held past lock_timeout: 503, one lock wait, one error outcome.
      const holder = await t.db.pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [seller]);
        await http.post(`/v1/wallets/${seller}/withdrawals`).set(AUTH).send({ amount: 1 }).expect(503);
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
      }

      // A deadlock with an outside transaction (as in row-locks.spec.ts): retried once, then posted.
      const [low, high] = [wallet, seller].sort();
      const outsider = await t.db.pool.connect();
      try {
        await outsider.query('BEGIN');
        await outsider.query(`SET LOCAL deadlock_timeout = '30s'`);
        await outsider.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [high]);
        const transfer = http.post('/v1/transfers').set(AUTH).send({ fromWalletId: low, toWalletId: high, amount: 25 }).then((r) => r);
        await waitUntilSomeoneWaits(t.db.pool);
        await outsider.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [low]);
        await outsider.query('COMMIT');
        expect((await transfer).status).toBe(201);
      } finally {
        outsider.release();
      }

      await http.get(`/v1/wallets/${randomUUID()}`).set(AUTH).expect(404);
      await http.get('/no-such-route').expect(404);

      const scrape = await http.get('/metrics').expect(200);
      exposition = scrape.text;
      contentType = scrape.headers['content-type'];
      samples = parseExposition(exposition);
    });

    it('answers in the Prometheus text format without a key when METRICS_TOKEN is unset', () => {
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(exposition).toContain('# TYPE wallet_money_moves_total counter');
    });

    it('times HTTP requests by method, route pattern and status — never a raw URL', () => {
      const count = (method: string, route: string, status: string) =>
        valueOf(samples, 'http_request_duration_seconds_count', { method, route, status });
      expect(count('POST', '/v1/wallets', '201')).toBe(4);
      expect(count('POST', '/v1/wallets/:id/deposits', '201')).toBe(3); // funding, first and replay
      expect(count('POST', '/v1/wallets/:id/deposits', '422')).toBe(1);
      expect(count('POST', '/v1/wallets/:id/withdrawals', '422')).toBe(1);
      expect(count('POST', '/v1/wallets/:id/withdrawals', '503')).toBe(1);
      expect(count('POST', '/v1/holds/:id/capture', '201')).toBe(1);
      expect(count('GET', '/v1/wallets/:id', '404')).toBe(1);
      expect(count('GET', 'unmatched', '404')).toBe(1);
      expect(valueOf(samples, 'http_request_duration_seconds_bucket', { method: 'POST', route: '/v1/transfers', status: '201', le: '+Inf' })).toBe(1);
      expect(valueOf(samples, 'http_request_duration_seconds_sum', { method: 'POST', route: '/v1/transfers', status: '201' })).toBeGreaterThan(0);
      const routes = new Set(samples.filter((s) => s.name.startsWith('http_request_duration_seconds')).map((s) => s.labels.route));
      for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    });

    it('has no label value with an id, a key, or a tenant in it', () => {
      for (const sample of samples) {
        for (const value of Object.values(sample.labels)) {
          expect(value).not.toMatch(UUID);
          expect(value).not.toContain(API_KEY);
        }
        expect(Object.keys(sample.labels)).not.toContain('tenant');
      }
      expect(exposition).not.toMatch(UUID);
      expect(exposition).not.toContain('obs-deposit');
    });

    it('counts money moves by type and outcome, refusals with their code', () => {
      const moves = (labels: Record<string, string>) => valueOf(samples, 'wallet_money_moves_total', labels);
      expect(moves({ type: 'deposit', outcome: 'posted' })).toBe(2);
      expect(moves({ type: 'withdrawal', outcome: 'refused', code: 'INSUFFICIENT_FUNDS' })).toBe(1);
      expect(moves({ type: 'deposit', outcome: 'replayed' })).toBe(1);
      expect(moves({ type: 'deposit', outcome: 'key_reused' })).toBe(1);
      expect(moves({ type: 'withdrawal', outcome: 'error', code: '55P03' })).toBe(1);
      for (const type of ['transfer', 'capture', 'void', 'refund', 'batch']) expect(moves({ type, outcome: 'posted' })).toBe(1);
      expect(moves({ type: 'hold', outcome: 'posted' })).toBe(3);
      expect(sumOf(samples, 'wallet_money_moves_total', { outcome: 'in_progress' })).toBe(0);
    });

    it('times every posting statement, the failed and retried ones included', () => {
      // deposits: 2 posted + 1 replayed + 1 key reused; transfer: the deadlock victim, then one statement per retry.
      expect(valueOf(samples, 'wallet_posting_statement_duration_seconds_count', { type: 'deposit' })).toBe(4);
      const transferRetries = valueOf(samples, 'wallet_posting_retries_total', { type: 'transfer', reason: 'deadlock' });
      expect(valueOf(samples, 'wallet_posting_statement_duration_seconds_count', { type: 'transfer' })).toBe(1 + transferRetries);
      expect(valueOf(samples, 'wallet_posting_statement_duration_seconds_count', { type: 'withdrawal' })).toBe(2);
      expect(valueOf(samples, 'wallet_posting_statement_duration_seconds_sum', { type: 'withdrawal' })).toBeGreaterThan(0);
      expect(valueOf(samples, 'wallet_posting_statement_duration_seconds_bucket', { type: 'batch', le: '+Inf' })).toBe(1);
    });

    it('counts lock waits past lock_timeout and deadlock retries', () => {
      expect(valueOf(samples, 'wallet_lock_wait_timeouts_total', { type: 'withdrawal' })).toBe(1);
      expect(sumOf(samples, 'wallet_lock_wait_timeouts_total')).toBe(1);
      // At least the forced deadlock. On a busy machine the retry can take the first row back before the
      // outside transaction does and deadlock with it once more (3 attempts: at most 2 retries).
      const deadlockRetries = valueOf(samples, 'wallet_posting_retries_total', { type: 'transfer', reason: 'deadlock' });
      expect(deadlockRetries).toBeGreaterThanOrEqual(1);
      expect(deadlockRetries).toBeLessThanOrEqual(2);
      expect(valueOf(samples, 'wallet_posting_retries_total', { type: 'transfer', reason: 'serialization_failure' })).toBe(0);
      expect(sumOf(samples, 'wallet_posting_retries_total')).toBe(deadlockRetries);
    });

    it('counts idempotency replays of money moves and of wallet creation', () => {
      expect(valueOf(samples, 'wallet_idempotency_replays_total', { operation: 'money_move' })).toBe(1);
      expect(valueOf(samples, 'wallet_idempotency_replays_total', { operation: 'wallet_create' })).toBe(1);
    });

    it('counts holds expired by the sweeper', () => {
      expect(valueOf(samples, 'wallet_holds_expired_total')).toBe(1);
    });

    it("reads the pool's total, idle and waiting clients on scrape", () => {
      const total = valueOf(samples, 'wallet_db_pool_connections');
      const idle = valueOf(samples, 'wallet_db_pool_idle_connections');
      expect(total).toBeGreaterThanOrEqual(1);
      expect(total).toBeLessThanOrEqual(10); // DB_POOL_SIZE
      expect(idle).toBeGreaterThanOrEqual(0);
      expect(idle).toBeLessThanOrEqual(total);
      expect(valueOf(samples, 'wallet_db_pool_waiting_clients')).toBe(0);
      for (const name of ['wallet_db_pool_connections', 'wallet_db_pool_idle_connections', 'wallet_db_pool_waiting_clients']) {
        expect(exposition).toContain(`# TYPE ${name} gauge`);
      }
    });

    it('includes the default Node.js process metrics', () => {
      expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(valueOf(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(exposition).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    });

    it('is not in the OpenAPI document', async () => {
      const doc = await t.http.get('/docs-json').expect(200);
      expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
      expect(JSON.stringify(doc.body.paths)).not.toContain('metrics');
    });
  });

  describe('lock waits at scrape time', () => {
    let locks: TestApp;
    beforeAll(async () => {
      // A lock budget far above the time a scrape takes, so the request is still waiting when it is read.
      locks = await startTestApp({ DB_LOCK_TIMEOUT_MS: '20000' });
    });
    afterAll(() => locks.close());
    const scrape = async () => parseExposition((await locks.http.get('/metrics').expect(200)).text);

    it('shows the sessions waiting for a wallet row lock and the longest wait, and 0 once it is released', async () => {
      const walletId = await fundedWallet(locks.http, 'obs-lock', 100);
      expect(valueOf(await scrape(), 'wallet_db_lock_waiting_sessions')).toBe(0);
      const holder = await locks.db.pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
        const waiting = locks.http.post(`/v1/wallets/${walletId}/withdrawals`).set(AUTH).send({ amount: 1 }).then((r) => r);
        await waitUntilSomeoneWaits(locks.db.pool);
        const during = await scrape();
        expect(valueOf(during, 'wallet_db_lock_waiting_sessions')).toBe(1);
        expect(valueOf(during, 'wallet_db_lock_wait_longest_seconds')).toBeGreaterThan(0);
        await holder.query('ROLLBACK');
        expect((await waiting).status).toBe(201);
      } finally {
        holder.release();
      }
      const after = await scrape();
      expect(valueOf(after, 'wallet_db_lock_waiting_sessions')).toBe(0);
      expect(valueOf(after, 'wallet_db_lock_wait_longest_seconds')).toBe(0);
    });
  });

  describe('METRICS_TOKEN', () => {
    let gated: TestApp;

    beforeAll(async () => {
      gated = await startTestApp({ METRICS_TOKEN });
    });
    afterAll(() => gated.close());

    it('answers 401 problem+json without the token, with a wrong one, or with an API key', async () => {
      for (const headers of [{}, { Authorization: `Bearer ${METRICS_TOKEN}x` }, AUTH, { Authorization: METRICS_TOKEN }]) {
        const reply = await gated.http.get('/metrics').set(headers);
        expect(reply.status).toBe(401);
        expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(reply.body.code).toBe('UNAUTHORIZED');
        expect(reply.text).not.toContain('wallet_money_moves_total');
      }
    });

    it('answers 200 with the metrics for Authorization: Bearer <token>', async () => {
      const reply = await gated.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
      expect(reply.text).toContain('# TYPE http_request_duration_seconds histogram');
    });

    it('refuses a token shorter than 16 characters at boot', () => {
      expect(() => validateEnvironment({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
      expect(validateEnvironment({ METRICS_TOKEN }).METRICS_TOKEN).toBe(METRICS_TOKEN);
    });
  });

  describe('access log', () => {
    it('writes exactly one line per request with method, route pattern, status, duration, request id and tenant', async () => {
      const wallet = await fundedWallet(t.http, 'log-owner', 100);
      const cases: { id: string; send: () => Test; method: string; route: string; status: number }[] = [
        { id: 'log-get', send: () => t.http.get(`/v1/wallets/${wallet}`).set(AUTH), method: 'GET', route: '/v1/wallets/:id', status: 200 },
        { id: 'log-post', send: () => t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 5 }), method: 'POST', route: '/v1/wallets/:id/deposits', status: 201 },
        { id: 'log-refused', send: () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(AUTH).send({ amount: 10_000 }), method: 'POST', route: '/v1/wallets/:id/withdrawals', status: 422 },
        { id: 'log-no-key', send: () => t.http.get(`/v1/wallets/${wallet}`), method: 'GET', route: '/v1/wallets/:id', status: 401 },
        { id: 'log-query', send: () => t.http.get('/v1/wallets').query({ ownerId: 'log-owner' }).set(AUTH), method: 'GET', route: '/v1/wallets', status: 200 },
        { id: 'log-unknown', send: () => t.http.get(`/nowhere/${wallet}`), method: 'GET', route: 'unmatched', status: 404 },
        { id: 'log-health', send: () => t.http.get('/health/live'), method: 'GET', route: '/health/live', status: 200 },
        { id: 'log-docs', send: () => t.http.get('/docs-json'), method: 'GET', route: '/docs-json', status: 200 },
        { id: 'log-too-big', send: () => t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'x'.repeat(70_000), currency: 'EUR' }), method: 'POST', route: 'unmatched', status: 413 },
        { id: 'log-bad-json', send: () => t.http.post('/v1/wallets').set(AUTH).set('Content-Type', 'application/json').send('{"ownerId":'), method: 'POST', route: 'unmatched', status: 400 },
      ];
      for (const c of cases) {
        const reply = await c.send().set('X-Request-Id', c.id);
        expect({ id: c.id, status: reply.status }).toEqual({ id: c.id, status: c.status });
      }
      // Supertest resolves when the body is read; the line is written on 'finish', which has happened by then.
      for (const c of cases) {
        const lines = accessLines(c.id);
        expect({ id: c.id, lines: lines.length }).toEqual({ id: c.id, lines: 1 });
        const [line] = lines;
        expect(line).toEqual(expect.objectContaining({ level: 30, method: c.method, route: c.route, status: c.status, requestId: c.id }));
        expect(typeof line.durationMs).toBe('number');
        expect(line.durationMs).toBeGreaterThanOrEqual(0);
        expect(line).not.toHaveProperty('url');
        expect(line).not.toHaveProperty('req');
        expect(line).not.toHaveProperty('res');
        expect(JSON.stringify(line)).not.toMatch(UUID);
      }
      // The tenant comes from the API key, so it is there once a key was accepted.
      expect(typeof accessLines('log-get')[0].tenant).toBe('string');
      expect(accessLines('log-no-key')[0]).not.toHaveProperty('tenant');
    }, 120_000);

    it('gives a request without X-Request-Id a generated one, returns it and logs it', async () => {
      const reply = await t.http.get('/health/live').expect(200);
      const id = reply.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect(accessLines(id)).toHaveLength(1);
    });

    it('logs a 500 at error with its request id, twice: the error with its stack, and the access line', async () => {
      const wallet = await fundedWallet(t.http, 'log-500', 0);
      const spy = jest.spyOn(t.app.get(WalletsService), 'get').mockRejectedValueOnce(new Error('synthetic failure'));
      try {
        const reply = await t.http.get(`/v1/wallets/${wallet}`).set(AUTH).set('X-Request-Id', 'log-500').expect(500);
        expect(reply.body.requestId).toBe('log-500');
      } finally {
        spy.mockRestore();
      }
      const lines = logLines().filter((l) => l.requestId === 'log-500' || l.reqId === 'log-500');
      const error = lines.find((l) => l.msg === 'unhandled error');
      expect(error).toEqual(expect.objectContaining({ level: 50, reqId: 'log-500' }));
      expect(error?.err?.message).toBe('synthetic failure');
      expect(accessLines('log-500')).toEqual([expect.objectContaining({ level: 50, status: 500, route: '/v1/wallets/:id' })]);
    });

    it('binds the request id to every line logged while the request is handled', async () => {
      const wallet = await fundedWallet(t.http, 'log-bound', 0);
      const spy = jest.spyOn(t.app.get(WalletsService), 'get').mockRejectedValueOnce(new Error('synthetic failure'));
      try {
        await t.http.get(`/v1/wallets/${wallet}`).set(AUTH).set('X-Request-Id', 'log-bound').expect(500);
      } finally {
        spy.mockRestore();
      }
      const error = logLines().find((l) => l.msg === 'unhandled error' && l.reqId === 'log-bound');
      expect(error).toEqual(expect.objectContaining({ requestId: 'log-bound', context: 'ProblemDetails' }));
      expect(error).not.toHaveProperty('req');
    });

    it('does not log successful scrapes of /metrics at info', async () => {
      await t.http.get('/metrics').set('X-Request-Id', 'log-scrape').expect(200);
      await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(AUTH).set('X-Request-Id', 'log-after-scrape').expect(200);
      expect(accessLines('log-after-scrape')).toHaveLength(1);
      expect(logLines().filter((l) => l.requestId === 'log-scrape')).toEqual([]);
    });

    it('never writes the Authorization header or the key, whatever was requested', async () => {
      await t.http.post('/v1/wallets').set(AUTH).set('Cookie', 'session=cookie-secret-value').set('X-Request-Id', 'log-secret').send({ ownerId: 'log-secret', currency: 'EUR' }).expect(201);
      await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set('Authorization', 'Bearer wrong-secret-value').expect(401);
      expect(accessLines('log-secret')).toHaveLength(1);
      const all = logOutput.join('');
      expect(all.length).toBeGreaterThan(0);
      for (const secret of [API_KEY, 'wrong-secret-value', 'cookie-secret-value', 'Bearer']) expect(all).not.toContain(secret);
      expect(all.toLowerCase()).not.toContain('authorization');
      expect(all.toLowerCase()).not.toContain('cookie');
    });
  });
});

/**
 * The production build as operators run it, on stdout: LOG_REQUESTS=false, and /metrics under a per-key rate
 * limit. It needs its own process: nestjs-pino keeps one logger per process.
 */
describe('production build', () => {
  const SERVICE_ENTRY = 'dist/src/main.js';
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let base: string;
  let stdout = '';

  beforeAll(async () => {
    if (!existsSync(SERVICE_ENTRY)) throw new Error(`${SERVICE_ENTRY} is missing: run npm run build (npm test does)`);
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [SERVICE_ENTRY], {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: db.url,
        API_KEYS: `shop:${API_KEY}`,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        LOG_REQUESTS: 'false',
        METRICS_TOKEN,
        RATE_LIMIT_REQUESTS: '2',
        RATE_LIMIT_WINDOW_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
    for (let attempt = 0; attempt < 300; attempt++) {
      if (await fetch(`${base}/health/ready`).then((r) => r.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('service never became ready');
  }, 60_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await db.drop();
  });

  it('never rate-limits /metrics, while a key over its limit gets 429', async () => {
    for (let scrape = 0; scrape < 5; scrape++) {
      expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    }
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    // fetch keeps its connection alive: every answered request on it is still timed once.
    const scrape = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    const samples = parseExposition(await scrape.text());
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '200' })).toBe(5);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '401' })).toBe(1);
    const statuses: number[] = [];
    for (let call = 0; call < 3; call++) statuses.push((await fetch(`${base}/v1/wallets?ownerId=x`, { headers: AUTH })).status);
    expect(statuses).toContain(429);
  });

  it('with LOG_REQUESTS=false writes no access lines, and the rest still as JSON', async () => {
    const created = await fetch(`${base}/v1/wallets`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'x-request-id': 'quiet-1' },
      body: JSON.stringify({ ownerId: 'quiet', currency: 'EUR' }),
    });
    expect([201, 429]).toContain(created.status);
    expect((await fetch(`${base}/no-such-route`, { headers: { 'x-request-id': 'quiet-2' } })).status).toBe(404);
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);

    const lines = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogLine);
    expect(lines.some((l) => String(l.msg).startsWith('listening on'))).toBe(true);
    expect(lines.filter((l) => 'route' in l || 'durationMs' in l || String(l.msg).startsWith('request '))).toEqual([]);
    expect(stdout).not.toContain('quiet-1');
    expect(stdout).not.toContain('quiet-2');
    expect(stdout).not.toContain(API_KEY);
    expect(stdout).not.toContain(METRICS_TOKEN);
  });
});
