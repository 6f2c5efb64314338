import { expectProblem } from '../support/expect-problem.js';
import { AUTH, startTestApp, TestApp } from '../support/test-app.js';

/**
 * The HTTP hardening over real HTTP: security headers (and a Swagger UI that still works under them), CORS
 * only for configured origins, and errors that never leak internals. Rate limits: rate-limits.spec.ts.
 */

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
    for (const header of ['x-request-id', 'idempotency-replayed', 'retry-after', 'ratelimit-policy', 'ratelimit']) expect(exposed).toContain(header);
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
