import type { Response } from 'supertest';
import { validateEnvironment } from '../../src/config/environment.js';
import { expectProblem } from '../support/expect-problem.js';
import { ACME_AUTH, AUTH, OTHER_API_KEY, startTestApp, TestApp, WRITER_AUTH } from '../support/test-app.js';

/**
 * Rate limits over real HTTP on real PostgreSQL: per API key (RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW_MS) and
 * failed authentication per client address (RATE_LIMIT_AUTH_FAILURES per RATE_LIMIT_AUTH_WINDOW_MS), both on by
 * default. Nothing here waits for a window to pass: the small limits run with hour-long windows.
 */

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const HOUR_MS = '3600000';
const POLICY = /^"(api-key|failed-auth)";q=(\d+);w=(\d+)$/;
const REMAINING = /^"(api-key|failed-auth)";r=(\d+);t=(\d+)$/;

/** The two headers of an answer, parsed: { policy, quota, window, remaining, resetSeconds }; null when absent. */
function rateLimitOf(res: Response) {
  const policy = res.headers['ratelimit-policy'];
  const state = res.headers['ratelimit'];
  if (policy === undefined && state === undefined) return null;
  const p = POLICY.exec(String(policy));
  const s = REMAINING.exec(String(state));
  if (!p || !s || p[1] !== s[1]) throw new Error(`malformed rate-limit headers: ${policy} / ${state}`);
  return { policy: p[1], quota: Number(p[2]), window: Number(p[3]), remaining: Number(s[2]), resetSeconds: Number(s[3]) };
}

/** Asserts a 429 RATE_LIMITED problem with Retry-After (whole seconds, within the window) and RateLimit r=0. */
function expectRateLimited(res: Response, policy: 'api-key' | 'failed-auth', windowSeconds: number): void {
  expectProblem(res, 429, 'RATE_LIMITED');
  const retryAfter = res.headers['retry-after'];
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(windowSeconds);
  expect(rateLimitOf(res)).toEqual(expect.objectContaining({ policy, remaining: 0, resetSeconds: Number(retryAfter) }));
}

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type Doc = { paths: Record<string, Partial<Record<Method, { security?: object[]; responses: Record<string, { headers?: Record<string, unknown> }> }>>> };
/** Every operation of the document that needs a key, as [method, path]. */
const keyedOperations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    (Object.keys(item) as Method[]).filter((method) => item[method]?.security?.length).map((method) => [method, path] as const),
  );
const NEVER_LIMITED = ['/health/live', '/health/ready', '/health/startup', '/docs-json', '/docs', '/metrics'];

describe('rate limits with the default settings (e2e)', () => {
  const defaults = validateEnvironment({});
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('are on: 1,000 requests per key per second, 100 failed authentications per address per minute', () => {
    expect(defaults).toMatchObject({ RATE_LIMIT_REQUESTS: 1_000, RATE_LIMIT_WINDOW_MS: 1_000, RATE_LIMIT_AUTH_FAILURES: 100, RATE_LIMIT_AUTH_WINDOW_MS: 60_000 });
  });

  it('every answer after the key is accepted carries the key’s RateLimit-Policy and RateLimit: 2xx, 403, 404, 400', async () => {
    const answers = [
      await t.http.get('/v1/wallets').query({ ownerId: 'nobody' }).set(AUTH),
      await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: `rl-${Date.now()}`, currency: 'EUR' }),
      await t.http.get('/v1/wallets').query({ ownerId: 'nobody' }).set(WRITER_AUTH), // 403: no wallets:read
      await t.http.get('/v1/wallets/00000000-0000-7000-8000-000000000000').set(AUTH),
      await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'x', currency: 'eur' }),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 201, 403, 404, 400]);
    for (const res of answers) {
      expect(rateLimitOf(res)).toEqual({ policy: 'api-key', quota: 1_000, window: 1, remaining: expect.any(Number), resetSeconds: 1 });
      expect(res.headers['retry-after']).toBeUndefined();
    }
    expect(rateLimitOf(answers[0])!.remaining).toBeLessThan(1_000);
  });

  it('a 401 carries the address’s failed-authentication budget, which each 401 spends', async () => {
    const first = await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer('not-a-key-at-all'));
    const second = await t.http.get('/v1/wallets').query({ ownerId: 'x' });
    expectProblem(first, 401, 'UNAUTHORIZED');
    expectProblem(second, 401, 'UNAUTHORIZED');
    const [a, b] = [rateLimitOf(first)!, rateLimitOf(second)!];
    expect(a).toEqual({ policy: 'failed-auth', quota: 100, window: 60, remaining: expect.any(Number), resetSeconds: expect.any(Number) });
    expect(b.remaining).toBe(a.remaining - 1);
    expect(b.resetSeconds).toBeLessThanOrEqual(60);
  });

  it('believes no X-Forwarded-For by default (TRUST_PROXY=false): a forged address still counts against the peer', async () => {
    const before = rateLimitOf(await t.http.get('/v1/wallets').set('X-Forwarded-For', '198.51.100.1'))!;
    const after = rateLimitOf(await t.http.get('/v1/wallets').set('X-Forwarded-For', '198.51.100.2'))!;
    expect(after.remaining).toBe(before.remaining - 1);
  });

  it.each(NEVER_LIMITED)('%s is never limited and carries no rate-limit header', async (path) => {
    const res = await t.http.get(path).set(AUTH);
    expect(res.status).toBe(200);
    expect(rateLimitOf(res)).toBeNull();
  });

  it('the served document states the default limits and documents 429 on every keyed operation', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    expect(doc.info.description).toContain('Each API key may make 1000 requests per second');
    expect(doc.info.description).toContain('100 failed authentications (401) within 60 seconds');
    expect(doc.components.headers['RateLimit-Policy'].schema.example).toBe('"api-key";q=1000;w=1');
    expect(keyedOperations(doc).length).toBeGreaterThan(15);
    for (const [method, path] of keyedOperations(doc)) {
      const { responses } = doc.paths[path][method];
      expect({ op: `${method} ${path}`, headers: Object.keys(responses['429']?.headers ?? {}).sort() }).toEqual({
        op: `${method} ${path}`,
        headers: ['RateLimit', 'RateLimit-Policy', 'Retry-After'],
      });
      for (const [status, response] of Object.entries<{ headers?: object }>(responses)) {
        if (!/^[24]/.test(status)) continue;
        expect({ op: `${method} ${path}`, status, has: 'RateLimit' in (response.headers ?? {}) }).toEqual({ op: `${method} ${path}`, status, has: true });
      }
    }
    for (const path of ['/health/live', '/health/ready', '/health/startup']) expect(doc.paths[path].get.responses['429']).toBeUndefined();
  });
});

describe('per-key rate limits (e2e, 3 requests per key per hour)', () => {
  const LIMIT = 3;
  const KEYS = { spender: 'spender-secret-1', bystander: 'bystander-secret-1', prober: 'prober-secret-1', anon: 'anon-secret-1', ops: 'ops-secret-1' };
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      API_KEYS: [...Object.entries(KEYS).map(([name, secret]) => `${name}:${secret}`), 'readonly:readonly-secret-1:default:wallets:read'].join(','),
      RATE_LIMIT_REQUESTS: String(LIMIT),
      RATE_LIMIT_WINDOW_MS: HOUR_MS,
    });
  });
  afterAll(() => t.close());

  it('counts every /v1 call of a key against one budget, then answers 429 RATE_LIMITED with Retry-After, and moves nothing', async () => {
    const key = bearer(KEYS.spender);
    const created = await t.http.post('/v1/wallets').set(key).send({ ownerId: 'spender', currency: 'EUR' }).expect(201);
    const wallet = created.body.id;
    expect(rateLimitOf(created)).toEqual({ policy: 'api-key', quota: LIMIT, window: 3_600, remaining: 2, resetSeconds: expect.any(Number) });
    expect(rateLimitOf(await t.http.get(`/v1/wallets/${wallet}`).set(key).expect(200))!.remaining).toBe(1);
    expect(rateLimitOf(await t.http.get('/v1/wallets').query({ ownerId: 'spender' }).set(key).expect(200))!.remaining).toBe(0);

    const refused = await t.http.post(`/v1/wallets/${wallet}/deposits`).set(key).set('Idempotency-Key', 'over-the-limit').send({ amount: 500 });
    expectRateLimited(refused, 'api-key', 3_600);
    expect(refused.body.detail).toBe(`This API key may make ${LIMIT} requests per 3600 s; retry after ${refused.headers['retry-after']} s.`);
    expect(refused.headers['x-request-id']).toBeDefined();
    // Refused before anything ran: no money moved and the Idempotency-Key is still free for the retry.
    const { rows } = await t.db.pool.query(
      `SELECT (SELECT balance FROM wallets WHERE id = $1)::int AS balance,
              (SELECT count(*) FROM idempotency_keys WHERE key = 'over-the-limit')::int AS keys`,
      [wallet],
    );
    expect(rows[0]).toEqual({ balance: 0, keys: 0 });
    expectRateLimited(await t.http.get(`/v1/wallets/${wallet}`).set(key), 'api-key', 3_600);
  });

  it('limits each key on its own: another key is not slowed by a key over its limit', async () => {
    const spender = bearer(KEYS.spender);
    expectRateLimited(await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(spender), 'api-key', 3_600);
    for (let i = 0; i < LIMIT; i++) {
      const res = await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer(KEYS.bystander)).expect(200);
      expect(rateLimitOf(res)!.remaining).toBe(LIMIT - 1 - i);
    }
    expectRateLimited(await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer(KEYS.bystander)), 'api-key', 3_600);
  });

  it('never limits the probes, the OpenAPI document, the docs or /metrics, even for a key over its limit', async () => {
    const key = bearer(KEYS.prober);
    for (let i = 0; i < LIMIT; i++) await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(key).expect(200);
    expectRateLimited(await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(key), 'api-key', 3_600);
    for (let i = 0; i < LIMIT * 2; i++) {
      for (const path of NEVER_LIMITED) {
        const res = await t.http.get(path).set(key);
        expect({ path, status: res.status, headers: rateLimitOf(res) }).toEqual({ path, status: 200, headers: null });
      }
    }
  });

  it('does not count requests that fail authentication against any key: they answer 401, and the key keeps its budget', async () => {
    for (let i = 0; i < LIMIT * 2; i++) {
      expectProblem(await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer('not-a-key-at-all')), 401, 'UNAUTHORIZED');
    }
    for (let i = 0; i < LIMIT; i++) await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(bearer(KEYS.anon)).expect(200);
  });

  it('counts a 403 (a key without the scope) against its key, like any call the key makes', async () => {
    const key = bearer('readonly-secret-1');
    const forbidden = await t.http.post('/v1/wallets').set(key).send({ ownerId: 'r', currency: 'EUR' });
    expectProblem(forbidden, 403, 'FORBIDDEN');
    expect(rateLimitOf(forbidden)!.remaining).toBe(LIMIT - 1);
  });

  it('every documented 429 is given: once its key is over, each keyed operation answers 429 before validating anything', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as Doc;
    const key = bearer(KEYS.ops);
    for (let i = 0; i < LIMIT; i++) await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(key).expect(200);
    const operations = keyedOperations(doc);
    for (const [method, path] of operations) {
      const res = await t.http[method](path.replaceAll('{id}', '00000000-0000-7000-8000-000000000000')).set(key).send(method === 'get' ? undefined : {});
      expect({ op: `${method} ${path}`, status: res.status, documented: '429' in doc.paths[path][method]!.responses }).toEqual({
        op: `${method} ${path}`,
        status: 429,
        documented: true,
      });
      expectRateLimited(res, 'api-key', 3_600);
    }
  });
});

describe('failed authentication bounded per client address (e2e, 5 per hour)', () => {
  const FAILURES = 5;
  let t: TestApp;
  /** A request from `address`: the proxy on loopback (TRUST_PROXY=loopback) says who the client is. */
  const from = (address: string) => ({ 'X-Forwarded-For': address });

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_AUTH_FAILURES: String(FAILURES), RATE_LIMIT_AUTH_WINDOW_MS: HOUR_MS, TRUST_PROXY: 'loopback' });
  });
  afterAll(() => t.close());

  it('answers 429 after too many 401s from one address, before comparing even a correct key; other addresses are unaffected', async () => {
    const guesser = from('203.0.113.10');
    const remaining: number[] = [];
    for (let i = 0; i < FAILURES; i++) {
      const res = await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(guesser).set(bearer(`guess-${i}-secret`));
      expectProblem(res, 401, 'UNAUTHORIZED');
      remaining.push(rateLimitOf(res)!.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);

    const wrong = await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(guesser).set(bearer('guess-6-secret'));
    expectRateLimited(wrong, 'failed-auth', 3_600);
    expect(wrong.body.detail).toMatch(/^Too many failed authentications from this address \(5 per 3600 s\); retry after \d+ s\.$/);
    // The right key from the blocked address gets the same answer: a guess cannot tell it was right.
    const right = await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(guesser).set(AUTH);
    expectRateLimited(right, 'failed-auth', 3_600);
    expect(right.body.detail).toBe(wrong.body.detail.replace(/retry after \d+ s/, `retry after ${right.headers['retry-after']} s`));
    expectRateLimited(await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(guesser), 'failed-auth', 3_600);
    // Refusals do not count further: the window ends when it would have.
    expect(Number(right.headers['retry-after'])).toBeLessThanOrEqual(Number(wrong.headers['retry-after']));

    // Another address: a correct key works, and it has failures of its own to spend.
    const shop = from('198.51.100.20');
    const ok = await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(shop).set(AUTH);
    expect(ok.status).toBe(200);
    expect(rateLimitOf(ok)!.policy).toBe('api-key');
    const typo = await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(shop).set(bearer('typo-secret-1'));
    expectProblem(typo, 401, 'UNAUTHORIZED');
    expect(rateLimitOf(typo)!.remaining).toBe(FAILURES - 1);
    // The key itself is not punished for what the address did: with it, the other address goes on.
    await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(shop).set(AUTH).expect(200);
  });

  it('counts a missing key and a malformed header as failures too', async () => {
    const client = from('203.0.113.30');
    for (let i = 0; i < FAILURES; i++) {
      const res = i % 2 === 0 ? await t.http.get('/v1/wallets').set(client) : await t.http.get('/v1/wallets').set(client).set('Authorization', 'Basic dXNlcjpwYXNz');
      expectProblem(res, 401, 'UNAUTHORIZED');
    }
    expectRateLimited(await t.http.post('/v1/wallets').set(client).set(AUTH).send({ ownerId: 'x', currency: 'EUR' }), 'failed-auth', 3_600);
  });

  it('counts an IPv6 client by its /64, so rotating addresses within it gains nothing', async () => {
    for (let i = 0; i < FAILURES; i++) {
      expectProblem(await t.http.get('/v1/wallets').set(from(`2001:db8:7:7::${(i + 1).toString(16)}`)), 401, 'UNAUTHORIZED');
    }
    expectRateLimited(await t.http.get('/v1/wallets').set(from('2001:db8:7:7:ffff::1')).set(AUTH), 'failed-auth', 3_600);
    await t.http.get('/v1/wallets').query({ ownerId: 'x' }).set(from('2001:db8:7:8::1')).set(AUTH).expect(200);
  });

  it('never blocks the probes, the docs or /metrics for a blocked address', async () => {
    const blocked = from('203.0.113.10'); // spent in the first test
    expectRateLimited(await t.http.get('/v1/wallets').set(blocked).set(AUTH), 'failed-auth', 3_600);
    for (const path of NEVER_LIMITED) {
      const res = await t.http.get(path).set(blocked);
      expect({ path, status: res.status, headers: rateLimitOf(res) }).toEqual({ path, status: 200, headers: null });
    }
  });
});

describe('rate limits turned off (e2e, RATE_LIMIT_REQUESTS=0, RATE_LIMIT_AUTH_FAILURES=0)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_REQUESTS: '0', RATE_LIMIT_AUTH_FAILURES: '0', RATE_LIMIT_WINDOW_MS: HOUR_MS });
  });
  afterAll(() => t.close());

  it('limits nothing and sends no rate-limit header', async () => {
    const replies: Response[] = [];
    for (let i = 0; i < 25; i++) replies.push(await t.http.get('/v1/wallets?ownerId=nobody').set(AUTH));
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(replies.map(rateLimitOf)).toEqual(replies.map(() => null));
    const failures: Response[] = [];
    for (let i = 0; i < 150; i++) failures.push(await t.http.get('/v1/wallets').set(bearer('not-a-key-at-all')));
    expect(new Set(failures.map((r) => r.status))).toEqual(new Set([401]));
    expect(rateLimitOf(failures[149])).toBeNull();
  });

  it('documents no 429 and no rate-limit header', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    expect(JSON.stringify(doc)).not.toMatch(/RateLimit|"429"|RATE_LIMITED/);
    expect(doc.components.headers).toBeUndefined();
  });
});

describe('per-key limits off, failed authentication still bounded (e2e, RATE_LIMIT_REQUESTS=0)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_REQUESTS: '0', RATE_LIMIT_AUTH_FAILURES: '2', RATE_LIMIT_AUTH_WINDOW_MS: HOUR_MS });
  });
  afterAll(() => t.close());

  it('sends no header on a key’s answers, still bounds 401s, and documents exactly that', async () => {
    expect(rateLimitOf(await t.http.get('/v1/wallets?ownerId=nobody').set(bearer(OTHER_API_KEY)).expect(200))).toBeNull();
    for (let i = 0; i < 2; i++) expect(rateLimitOf(await t.http.get('/v1/wallets').expect(401))!.policy).toBe('failed-auth');
    expectRateLimited(await t.http.get('/v1/wallets').set(ACME_AUTH), 'failed-auth', 3_600);
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const responses = doc.paths['/v1/wallets'].get.responses;
    expect(Object.keys(responses['200'].headers ?? {})).not.toContain('RateLimit');
    expect(Object.keys(responses['401'].headers)).toContain('RateLimit');
    expect(Object.keys(responses['429'].headers)).toContain('Retry-After');
    expect(doc.info.description).not.toContain('Each API key may make');
  });
});
