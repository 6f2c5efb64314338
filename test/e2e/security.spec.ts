import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import request, { type Response } from 'supertest';
import { expectProblem } from '../support/expect-problem.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';
import { AUTH, startTestApp, TestApp } from '../support/test-app.js';
import { freePort } from '../bench/service-process.js';

/**
 * The HTTP hardening over real HTTP: security headers (and a Swagger UI that still works under them), CORS
 * only for configured origins, per-key rate limits only when configured, and errors that never leak internals.
 */

const SERVICE_ENTRY = 'dist/src/main.js';
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

/** Polls readiness (bounded), so a service that never comes up fails the test instead of hanging it. */
async function waitForReady(base: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready`);
    if (await fetch(`${base}/health/ready`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the service never became ready');
}

describe('security defaults (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each(['/v1/wallets?ownerId=nobody', '/health/live', '/docs', '/docs-json'])('%s carries helmet’s headers', async (path) => {
    const res = await t.http.get(path).set(AUTH);
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['x-powered-by']).toBeUndefined();
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'self'");
    // The service speaks plain HTTP behind its TLS terminator; this would break /docs over http.
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('the Swagger UI works under the content security policy: no inline script, every asset from /docs itself', async () => {
    const page = await t.http.get('/docs');
    expect(page.status).toBe(200);
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    const sources: string[] = [];
    for (const [, attributes, body] of scripts) {
      expect(body.trim()).toBe(''); // script-src 'self' would block an inline script
      sources.push(/\bsrc="([^"]+)"/.exec(attributes)![1]);
    }
    const styles = [...page.text.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"/gi)].map((m) => m[1]);
    for (const asset of [...sources, ...styles]) {
      expect(asset).not.toMatch(/^(https?:)?\/\//); // same origin only
      const url = new URL(asset, 'http://service/docs').pathname; // as a browser resolves it on /docs
      const res = await t.http.get(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
    expect(sources.some((src) => src.includes('swagger-ui-init.js'))).toBe(true);
    // The init script loads the document from the same origin, which connect-src 'self' allows.
    const init = await t.http.get('/docs/swagger-ui-init.js');
    expect(init.text).toContain('"openapi"');
  });

  it('answers no CORS headers when CORS_ORIGINS is unset, to requests and to preflights alike', async () => {
    const simple = await t.http.get('/v1/wallets?ownerId=nobody').set(AUTH).set('Origin', 'https://shop.example');
    expect(simple.status).toBe(200);
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.http
      .options('/v1/wallets')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('does not rate-limit unless configured', async () => {
    const replies: Response[] = [];
    for (let i = 0; i < 25; i++) replies.push(await t.http.get('/v1/wallets?ownerId=nobody').set(AUTH));
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(replies[0].headers['x-ratelimit-limit']).toBeUndefined();
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths['/v1/wallets'].get.responses)).not.toContain('429');
  });

  it('a provoked internal error answers a generic 500 problem with the request id, and no SQL, stack or schema', async () => {
    const walletId = (await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'broken', currency: 'EUR' }).expect(201)).body.id;
    // Break the schema under the service: its next read of a wallet fails inside PostgreSQL.
    await t.db.pool.query('ALTER TABLE wallets RENAME COLUMN overdraft_limit TO overdraft_limit_gone');
    try {
      const res = await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).set('X-Request-Id', 'probe-500-a1');
      expectProblem(res, 500, 'INTERNAL_ERROR');
      expect(res.headers['x-request-id']).toBe('probe-500-a1');
      expect(res.body.requestId).toBe('probe-500-a1');
      expect(res.body.detail).toBe('An unexpected error occurred; it has been logged.');
      for (const leak of ['overdraft', 'wallets', 'SELECT', 'column', 'does not exist', 'QueryFailed', 'Error:', ' at ', '.ts:', '.js:', 'node_modules', 'stack']) {
        expect({ leak, found: res.text.includes(leak) }).toEqual({ leak, found: false });
      }
    } finally {
      await t.db.pool.query('ALTER TABLE wallets RENAME COLUMN overdraft_limit_gone TO overdraft_limit');
    }
    await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200);
  });
});

describe('CORS for configured origins (e2e)', () => {
  let t: TestApp;
  const ALLOWED = 'https://shop.example';

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: `${ALLOWED}, http://localhost:8080` });
  });
  afterAll(() => t.close());

  it('answers a preflight from an allowed origin with the methods and headers a client needs, without credentials', async () => {
    const res = await t.http
      .options('/v1/wallets/00000000-0000-7000-8000-000000000000/deposits')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    const allowedHeaders = res.headers['access-control-allow-headers'].toLowerCase();
    for (const header of ['authorization', 'content-type', 'idempotency-key']) expect(allowedHeaders).toContain(header);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('lets an allowed origin read the answer and the headers that matter', async () => {
    const res = await t.http.get('/v1/wallets?ownerId=nobody').set(AUTH).set('Origin', 'http://localhost:8080');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    const exposed = res.headers['access-control-expose-headers'].toLowerCase();
    for (const header of ['x-request-id', 'idempotency-replayed', 'retry-after']) expect(exposed).toContain(header);
  });

  it('gives any other origin nothing', async () => {
    const res = await t.http.get('/v1/wallets?ownerId=nobody').set(AUTH).set('Origin', 'https://evil.example');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.http
      .options('/v1/wallets')
      .set('Origin', 'https://shop.example.evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limits per API key (e2e, the built service)', () => {
  const LIMIT = 3;
  /** One key per test, so each starts with a full budget; the window outlasts the test file. */
  const KEYS = { spender: 'spender-secret-1', bystander: 'bystander-secret-1', prober: 'prober-secret-1', anon: 'anon-secret-1' };
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let http: ReturnType<typeof request>;

  // @nestjs/throttler is CommonJS requiring the ESM-only @nestjs/common: Node loads it, Jest (before Node 24.9)
  // cannot, so with limits on the service runs as operators run it, from the build.
  beforeAll(async () => {
    if (!existsSync(SERVICE_ENTRY)) throw new Error(`${SERVICE_ENTRY} is missing: run npm run build (npm test does)`);
    db = await createTestDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [SERVICE_ENTRY], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(port),
        DATABASE_URL: db.url,
        API_KEYS: Object.entries(KEYS).map(([name, secret]) => `${name}:${secret}`).join(','),
        LOG_LEVEL: 'warn',
        HOLD_SWEEP_INTERVAL_MS: '0',
        RATE_LIMIT_REQUESTS: String(LIMIT),
        RATE_LIMIT_WINDOW_MS: '600000',
      },
      stdio: 'ignore',
    });
    await waitForReady(base, child);
    http = request(base);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
  });

  it('counts every /v1 call of a key against one budget, then answers 429 RATE_LIMITED with Retry-After, and moves nothing', async () => {
    const key = bearer(KEYS.spender);
    const wallet = (await http.post('/v1/wallets').set(key).send({ ownerId: 'spender', currency: 'EUR' }).expect(201)).body.id;
    expect((await http.get(`/v1/wallets/${wallet}`).set(key).expect(200)).headers['x-ratelimit-remaining']).toBe('1');
    const third = await http.get('/v1/wallets').query({ ownerId: 'spender' }).set(key);
    expect(third.status).toBe(200);
    expect(third.headers['x-ratelimit-limit']).toBe(String(LIMIT));
    expect(third.headers['x-ratelimit-remaining']).toBe('0');

    const refused = await http.post(`/v1/wallets/${wallet}/deposits`).set(key).set('Idempotency-Key', 'over-the-limit').send({ amount: 500 });
    expectProblem(refused, 429, 'RATE_LIMITED');
    const retryAfterSeconds = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfterSeconds)).toBe(true);
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retryAfterSeconds).toBeLessThanOrEqual(600);
    expect(refused.headers['x-request-id']).toBeDefined();
    // Refused before anything ran: no money moved and the Idempotency-Key is still free for the retry.
    const { rows } = await db.pool.query(
      `SELECT (SELECT balance FROM wallets WHERE id = $1)::int AS balance,
              (SELECT count(*) FROM idempotency_keys WHERE key = 'over-the-limit')::int AS keys`,
      [wallet],
    );
    expect(rows[0]).toEqual({ balance: 0, keys: 0 });
    expectProblem(await http.get(`/v1/wallets/${wallet}`).set(key), 429, 'RATE_LIMITED');
  });

  it('limits each key on its own: another key is not slowed by a key over its limit', async () => {
    const spender = bearer(KEYS.spender);
    expectProblem(await http.get('/v1/wallets').query({ ownerId: 'x' }).set(spender), 429, 'RATE_LIMITED');
    for (let i = 0; i < LIMIT; i++) await http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer(KEYS.bystander)).expect(200);
    expectProblem(await http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer(KEYS.bystander)), 429, 'RATE_LIMITED');
  });

  it('never limits the probes, the OpenAPI document or the docs, even for a key over its limit', async () => {
    const key = bearer(KEYS.prober);
    for (let i = 0; i < LIMIT; i++) await http.get('/v1/wallets').query({ ownerId: 'x' }).set(key).expect(200);
    expectProblem(await http.get('/v1/wallets').query({ ownerId: 'x' }).set(key), 429, 'RATE_LIMITED');
    for (let i = 0; i < LIMIT * 2; i++) {
      for (const path of ['/health/live', '/health/ready', '/health/startup', '/docs-json', '/docs']) {
        const res = await http.get(path).set(key);
        expect({ path, status: res.status, limitHeader: res.headers['x-ratelimit-limit'] }).toEqual({ path, status: 200, limitHeader: undefined });
      }
    }
  });

  it('does not count requests that fail authentication: they answer 401, and the key keeps its budget', async () => {
    for (let i = 0; i < LIMIT * 2; i++) {
      expectProblem(await http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer('not-a-key-at-all')), 401, 'UNAUTHORIZED');
    }
    for (let i = 0; i < LIMIT; i++) await http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer(KEYS.anon)).expect(200);
  });

  it('documents 429 with Retry-After for every operation that needs a key, and for none of the probes', async () => {
    const doc = (await http.get('/docs-json').expect(200)).body;
    for (const [path, item] of Object.entries<Record<string, { responses: Record<string, { headers?: object }> }>>(doc.paths)) {
      for (const operation of Object.values(item)) {
        expect({ path, has429: '429' in operation.responses }).toEqual({ path, has429: path.startsWith('/v1/') });
        if (path.startsWith('/v1/')) expect(operation.responses['429'].headers).toHaveProperty('Retry-After');
      }
    }
  });
});
