import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Response, Test } from 'supertest';
import { API_KEY, AUTH, OTHER_API_KEY, startTestApp, TestApp } from '../support/test-app.js';
import { expectProblem } from '../support/expect-problem.js';

/**
 * Cross-cutting behaviour over HTTP against the real app: problem+json errors for every way a request can
 * be malformed, authentication, body limits, request ids, and the unauthenticated health and docs routes.
 */

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;


const cursorOf = (position: string) => Buffer.from(`c1:${position}`, 'utf8').toString('base64url');

describe('errors, auth and cross-cutting behaviour (e2e)', () => {
  let t: TestApp;
  /** An active EUR wallet holding 1000, a second EUR wallet, and a transaction of the first. */
  let wallet: string;
  let peer: string;
  let transactionId: string;

  beforeAll(async () => {
    t = await startTestApp();
    wallet = (await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'errors-main', currency: 'EUR' }).expect(201)).body.id;
    peer = (await t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'errors-peer', currency: 'EUR' }).expect(201)).body.id;
    transactionId = (await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 1000 }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  async function balances(): Promise<[number, number]> {
    const a = await t.http.get(`/v1/wallets/${wallet}`).set(AUTH).expect(200);
    const b = await t.http.get(`/v1/wallets/${peer}`).set(AUTH).expect(200);
    return [a.body.balance, b.body.balance];
  }
  async function ledgerSize(): Promise<number> {
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM transactions');
    return rows[0].n as number;
  }
  const rawPost = (path: string, json: string) => t.http.post(path).set(AUTH).set('Content-Type', 'application/json').send(json);

  describe('400 VALIDATION_FAILED for amounts', () => {
    const BAD_AMOUNTS: [string, string][] = [
      ['0', '0'],
      ['-1', '-1'],
      ['1.5', '1.5'],
      ['"10" (a string)', '"10"'],
      ['null', 'null'],
      ['2^53', '9007199254740992'],
      ['9223372036854775808', '9223372036854775808'],
      ['1e400', '1e400'],
      ['true', 'true'],
      ['an object', '{"value":10}'],
      ['an array', '[10]'],
    ];
    const endpoints: [string, () => string, (amount: string) => string][] = [
      ['deposit', () => `/v1/wallets/${wallet}/deposits`, (amount) => `{"amount":${amount}}`],
      ['withdrawal', () => `/v1/wallets/${wallet}/withdrawals`, (amount) => `{"amount":${amount}}`],
      ['transfer', () => '/v1/transfers', (amount) => `{"fromWalletId":"${wallet}","toWalletId":"${peer}","amount":${amount}}`],
    ];
    const cases = endpoints.flatMap(([name, path, body]) => BAD_AMOUNTS.map(([label, raw]) => [name, label, path, body(raw)] as const));

    it.each(cases)('%s with amount %s', async (_, __, path, body) => {
      const before = await balances();
      expectProblem(await rawPost(path(), body), 400, 'VALIDATION_FAILED', 'amount');
      expect(await balances()).toEqual(before);
    });

    it.each(endpoints)('%s without an amount', async (_, path) => {
      const body = path().startsWith('/v1/transfers') ? { fromWalletId: wallet, toWalletId: peer } : { reference: 'no amount' };
      expectProblem(await t.http.post(path()).set(AUTH).send(body), 400, 'VALIDATION_FAILED', 'amount');
    });
  });

  describe('400 VALIDATION_FAILED for malformed bodies', () => {
    const MALFORMED = ['{"amount":', '{amount: 1}', "{'amount':1}", '{"amount":1,}', '{"amount":1}}', 'amount=1', '{"amount":NaN}'];
    const targets: [string, () => Test][] = [
      ['POST /v1/wallets', () => t.http.post('/v1/wallets')],
      ['PATCH /v1/wallets/{id}', () => t.http.patch(`/v1/wallets/${wallet}`)],
      ['POST deposits', () => t.http.post(`/v1/wallets/${wallet}/deposits`)],
      ['POST withdrawals', () => t.http.post(`/v1/wallets/${wallet}/withdrawals`)],
      ['POST /v1/transfers', () => t.http.post('/v1/transfers')],
    ];

    it.each(targets.flatMap(([name, make]) => MALFORMED.map((json) => [name, json, make] as const)))('%s with %p', async (_, json, make) => {
      const before = await ledgerSize();
      expectProblem(await make().set(AUTH).set('Content-Type', 'application/json').send(json), 400, 'VALIDATION_FAILED');
      expect(await ledgerSize()).toBe(before);
    });

    it.each(['gzip', 'deflate', 'br'])('a body labelled Content-Encoding: %s that does not decode: 400 saying so, nothing moves', async (encoding) => {
      const before = await balances();
      const res = await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('{"amount":1}');
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.detail).toBe(`The request body could not be decoded as its Content-Encoding (${encoding}) says.`);
      expect(await balances()).toEqual(before);
    });

    it('a gzip-compressed body that does decode is accepted', async () => {
      // Over plain node:http: supertest would re-encode a Buffer sent as JSON.
      const body = gzipSync(Buffer.from('{"amount":1}'));
      const port = (t.app.getHttpServer().address() as AddressInfo).port;
      const answer = await new Promise<{ status?: number; text: string }>((resolve, reject) => {
        const headers = { ...AUTH, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': body.length };
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/v1/wallets/${wallet}/deposits`, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status).toBe(201);
      expect(JSON.parse(answer.text).amount).toBe(1);
    });

    it.each(['5', '"a string"', 'null', '[{"amount":5}]'])('a JSON body that is not an object: %s', async (json) => {
      const before = await balances();
      const res = await rawPost(`/v1/wallets/${wallet}/deposits`, json);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(await balances()).toEqual(before);
    });

    it.each([
      ['deposit', () => `/v1/wallets/${wallet}/deposits`, { amount: 1, currency: 'EUR' }, 'currency'],
      ['withdrawal', () => `/v1/wallets/${wallet}/withdrawals`, { amount: 1, walletId: 'x' }, 'walletId'],
      ['transfer', () => '/v1/transfers', { fromWalletId: 'a', toWalletId: 'b', amount: 1, fee: 5 }, 'fee'],
      ['deposit with a prototype-looking key', () => `/v1/wallets/${wallet}/deposits`, JSON.parse('{"amount":1,"__proto__":{"x":1}}'), '__proto__'],
    ])('an unknown field on a %s', async (_, path, body, field) => {
      const before = await balances();
      const res = await t.http.post(path()).set(AUTH).set('Content-Type', 'application/json').send(JSON.stringify(body));
      expectProblem(res, 400, 'VALIDATION_FAILED', field);
      expect(await balances()).toEqual(before);
    });

    it.each([
      ['reference of 256 characters', { reference: 'r'.repeat(256) }, 'reference'],
      ['empty reference', { reference: '' }, 'reference'],
      ['description of 1001 characters', { description: 'd'.repeat(1001) }, 'description'],
      ['reference a number', { reference: 7 }, 'reference'],
      ['metadata with 51 keys', { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 1])) }, 'metadata'],
      ['metadata with a 41-character key', { metadata: { ['m'.repeat(41)]: 'v' } }, 'metadata'],
      ['metadata with a 501-character string', { metadata: { note: 'n'.repeat(501) } }, 'metadata'],
      ['metadata with a nested object', { metadata: { a: { b: 1 } } }, 'metadata'],
      ['metadata with an array value', { metadata: { a: [1] } }, 'metadata'],
      ['metadata as an array', { metadata: [{ a: 1 }] }, 'metadata'],
    ])('a deposit with %s', async (_, extra, field) => {
      const before = await balances();
      expectProblem(await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 1, ...extra }), 400, 'VALIDATION_FAILED', field);
      expect(await balances()).toEqual(before);
    });
  });

  describe('400 VALIDATION_FAILED for ids in the path', () => {
    const BAD_IDS = ['not-a-uuid', '12345', `${randomUUID()}0`, randomUUID().replaceAll('-', '').slice(0, 31), 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'];
    const routes: [string, (id: string) => Test][] = [
      ['GET /v1/wallets/{id}', (id) => t.http.get(`/v1/wallets/${id}`)],
      ['PATCH /v1/wallets/{id}', (id) => t.http.patch(`/v1/wallets/${id}`).send({ status: 'frozen' })],
      ['POST /v1/wallets/{id}/deposits', (id) => t.http.post(`/v1/wallets/${id}/deposits`).send({ amount: 1 })],
      ['POST /v1/wallets/{id}/withdrawals', (id) => t.http.post(`/v1/wallets/${id}/withdrawals`).send({ amount: 1 })],
      ['GET /v1/wallets/{id}/transactions', (id) => t.http.get(`/v1/wallets/${id}/transactions`)],
      ['GET /v1/transactions/{id}', (id) => t.http.get(`/v1/transactions/${id}`)],
    ];
    it.each(routes.flatMap(([name, make]) => BAD_IDS.map((id) => [name, id, make] as const)))('%s with id %p', async (_, id, make) => {
      expectProblem(await make(encodeURIComponent(id)).set(AUTH), 400, 'VALIDATION_FAILED', 'id');
    });
  });

  describe('404 for unknown resources', () => {
    const unknown = randomUUID();
    it.each([
      ['GET /v1/wallets/{id}', () => t.http.get(`/v1/wallets/${unknown}`), 'WALLET_NOT_FOUND'],
      ['PATCH /v1/wallets/{id}', () => t.http.patch(`/v1/wallets/${unknown}`).send({ status: 'frozen' }), 'WALLET_NOT_FOUND'],
      ['deposit', () => t.http.post(`/v1/wallets/${unknown}/deposits`).send({ amount: 1 }), 'WALLET_NOT_FOUND'],
      ['withdrawal', () => t.http.post(`/v1/wallets/${unknown}/withdrawals`).send({ amount: 1 }), 'WALLET_NOT_FOUND'],
      ['transfer from an unknown wallet', () => t.http.post('/v1/transfers').send({ fromWalletId: unknown, toWalletId: peer, amount: 1 }), 'WALLET_NOT_FOUND'],
      ['transfer to an unknown wallet', () => t.http.post('/v1/transfers').send({ fromWalletId: wallet, toWalletId: unknown, amount: 1 }), 'WALLET_NOT_FOUND'],
      ['history', () => t.http.get(`/v1/wallets/${unknown}/transactions`), 'WALLET_NOT_FOUND'],
      ['GET /v1/transactions/{id}', () => t.http.get(`/v1/transactions/${unknown}`), 'TRANSACTION_NOT_FOUND'],
    ])('%s → %s', async (_, make, code) => {
      const before = await balances();
      const res = await make().set(AUTH);
      expectProblem(res, 404, code);
      expect(res.body.errors).toBeUndefined();
      expect(await balances()).toEqual(before);
    });

    it('an unknown route is a 404 problem too', async () => {
      const res = await t.http.get('/v1/no-such-thing').set(AUTH);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual(expect.objectContaining({ status: 404, code: expect.any(String), type: expect.any(String), title: expect.any(String) }));
    });
  });

  describe('400 VALIDATION_FAILED for list parameters', () => {
    it.each([
      ['limit=0', { limit: 0 }, 'limit'],
      ['limit=101', { limit: 101 }, 'limit'],
      ['limit=-1', { limit: -1 }, 'limit'],
      ['limit=1.5', { limit: '1.5' }, 'limit'],
      ['limit=abc', { limit: 'abc' }, 'limit'],
      ['cursor=abc', { cursor: 'abc' }, 'cursor'],
      ['cursor=!!!!', { cursor: '!!!!' }, 'cursor'],
      ['an empty cursor', { cursor: '' }, 'cursor'],
      ['a 201-character cursor', { cursor: 'x'.repeat(201) }, 'cursor'],
      ['a cursor of another version', { cursor: Buffer.from('c2:5').toString('base64url') }, 'cursor'],
      ['a cursor at position 0', { cursor: cursorOf('0') }, 'cursor'],
      ['a cursor at a negative position', { cursor: cursorOf('-5') }, 'cursor'],
      ['type=payment', { type: 'payment' }, 'type'],
      ['order=ASC', { order: 'ASC' }, 'order'],
      ['from=yesterday', { from: 'yesterday' }, 'from'],
      ['to=2024-13-01', { to: '2024-13-01T00:00:00Z' }, 'to'],
      ['an unknown parameter', { page: 2 }, 'page'],
    ])('%s', async (_, query, field) => {
      expectProblem(await t.http.get(`/v1/wallets/${wallet}/transactions`).query(query).set(AUTH), 400, 'VALIDATION_FAILED', field);
    });

    it('accepts limit=1 and limit=100', async () => {
      expect((await t.http.get(`/v1/wallets/${wallet}/transactions`).query({ limit: 1 }).set(AUTH)).status).toBe(200);
      expect((await t.http.get(`/v1/wallets/${wallet}/transactions`).query({ limit: 100 }).set(AUTH)).status).toBe(200);
    });

    it('a cursor tampered with after the service issued it is refused', async () => {
      for (let i = 0; i < 3; i++) expect((await t.http.post(`/v1/wallets/${peer}/deposits`).set(AUTH).send({ amount: 1 })).status).toBe(201);
      const page = await t.http.get(`/v1/wallets/${peer}/transactions`).query({ limit: 1 }).set(AUTH).expect(200);
      const issued: string = page.body.nextCursor;
      expect(typeof issued).toBe('string');
      expect((await t.http.get(`/v1/wallets/${peer}/transactions`).query({ limit: 1, cursor: issued }).set(AUTH)).status).toBe(200);
      // The same shape as an issued cursor, at a position no page ever ended on.
      const forged = cursorOf('999999999');
      expect(forged).not.toBe(issued);
      expectProblem(await t.http.get(`/v1/wallets/${peer}/transactions`).query({ cursor: forged }).set(AUTH), 400, 'VALIDATION_FAILED', 'cursor');
    });
  });

  describe('Idempotency-Key header', () => {
    const posts: [string, () => Test, Record<string, unknown> | (() => Record<string, unknown>)][] = [
      ['POST /v1/wallets', () => t.http.post('/v1/wallets'), () => ({ ownerId: `idem-${randomUUID()}`, currency: 'EUR' })],
      ['deposit', () => t.http.post(`/v1/wallets/${wallet}/deposits`), { amount: 1 }],
      ['withdrawal', () => t.http.post(`/v1/wallets/${wallet}/withdrawals`), { amount: 1 }],
      ['transfer', () => t.http.post('/v1/transfers'), () => ({ fromWalletId: wallet, toWalletId: peer, amount: 1 })],
    ];
    it.each(posts.flatMap(([name, make, body]) => [['256 characters', 'k'.repeat(256)], ['empty', '']].map(([label, key]) => [name, label, key, make, body] as const)))(
      '%s with a key of %s → 400 and nothing happens',
      async (_, __, key, make, body) => {
        const before = await ledgerSize();
        const wallets = (await t.db.pool.query('SELECT count(*)::int AS n FROM wallets')).rows[0].n;
        const payload = typeof body === 'function' ? body() : body;
        expectProblem(await make().set(AUTH).set('Idempotency-Key', key).send(payload), 400, 'VALIDATION_FAILED', 'Idempotency-Key');
        expect(await ledgerSize()).toBe(before);
        expect((await t.db.pool.query('SELECT count(*)::int AS n FROM wallets')).rows[0].n).toBe(wallets);
      },
    );
  });

  describe('413 PAYLOAD_TOO_LARGE', () => {
    const huge = { note: 'x'.repeat(64 * 1024 + 1) };
    it.each([
      ['POST /v1/wallets', () => t.http.post('/v1/wallets').send({ ownerId: 'too-big', currency: 'EUR', metadata: huge })],
      ['PATCH /v1/wallets/{id}', () => t.http.patch(`/v1/wallets/${wallet}`).send({ metadata: huge })],
      ['deposit', () => t.http.post(`/v1/wallets/${wallet}/deposits`).send({ amount: 1, description: huge.note })],
      ['withdrawal', () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).send({ amount: 1, description: huge.note })],
      ['transfer', () => t.http.post('/v1/transfers').send({ fromWalletId: wallet, toWalletId: peer, amount: 1, description: huge.note })],
    ])('%s with a body over 64 KiB', async (_, make) => {
      const before = await balances();
      const res = await make().set(AUTH);
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
      expect(await balances()).toEqual(before);
      expect((await t.http.get('/v1/wallets').query({ ownerId: 'too-big' }).set(AUTH)).body.data).toEqual([]);
      expect((await t.http.get(`/v1/wallets/${wallet}`).set(AUTH)).body.metadata).toEqual({});
    });

    it('a valid body just under 64 KiB is accepted', async () => {
      const before = await balances();
      const padded = `{"amount":7${' '.repeat(60 * 1024)}}`;
      const res = await rawPost(`/v1/wallets/${wallet}/deposits`, padded);
      expect(res.status).toBe(201);
      expect((await balances())[0]).toBe(before[0] + 7);
    });
  });

  describe('request bodies that are not UTF-8 JSON', () => {
    it('415 UNSUPPORTED_MEDIA_TYPE for a JSON body in an unsupported charset', async () => {
      const before = await balances();
      const res = await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Content-Type', 'application/json; charset=iso-8859-1').send('{"amount":1}');
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await balances()).toEqual(before);
    });

    it('a body that is not declared as JSON is not read as one: 400 naming the missing field', async () => {
      const before = await balances();
      const res = await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Content-Type', 'text/plain').send('{"amount":1}');
      expectProblem(res, 400, 'VALIDATION_FAILED', 'amount');
      expect(await balances()).toEqual(before);
    });
  });

  describe('401 UNAUTHORIZED', () => {
    const routes: [string, () => Test][] = [
      ['POST /v1/wallets', () => t.http.post('/v1/wallets').send({ ownerId: 'no-auth', currency: 'EUR' })],
      ['GET /v1/wallets', () => t.http.get('/v1/wallets').query({ ownerId: 'errors-main' })],
      ['GET /v1/wallets/{id}', () => t.http.get(`/v1/wallets/${wallet}`)],
      ['PATCH /v1/wallets/{id}', () => t.http.patch(`/v1/wallets/${wallet}`).send({ status: 'frozen' })],
      ['POST deposits', () => t.http.post(`/v1/wallets/${wallet}/deposits`).send({ amount: 1 })],
      ['POST withdrawals', () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).send({ amount: 1 })],
      ['POST /v1/transfers', () => t.http.post('/v1/transfers').send({ fromWalletId: wallet, toWalletId: peer, amount: 1 })],
      ['GET /v1/transactions/{id}', () => t.http.get(`/v1/transactions/${transactionId}`)],
      ['GET history', () => t.http.get(`/v1/wallets/${wallet}/transactions`)],
    ];
    const CREDENTIALS: [string, string | undefined][] = [
      ['no Authorization header', undefined],
      ['a wrong key', 'Bearer not-the-right-key'],
      ['a key with one character more', `Bearer ${API_KEY}x`],
      ['a prefix of a key', `Bearer ${API_KEY.slice(0, -1)}`],
      ['the Basic scheme', `Basic ${Buffer.from(`shop:${API_KEY}`).toString('base64')}`],
      ['the Token scheme', `Token ${API_KEY}`],
      ['the key without a scheme', API_KEY],
      ['Bearer and nothing', 'Bearer '],
    ];

    it.each(routes.flatMap(([name, make]) => CREDENTIALS.map(([label, header]) => [name, label, header, make] as const)))(
      '%s with %s',
      async (_, __, header, make) => {
        const before = await balances();
        const request = make();
        if (header !== undefined) request.set('Authorization', header);
        expectProblem(await request, 401, 'UNAUTHORIZED');
        expect(await balances()).toEqual(before);
        expect((await t.http.get(`/v1/wallets/${wallet}`).set(AUTH)).body.status).toBe('active');
      },
    );

    it('authentication comes before validation and lookups', async () => {
      expectProblem(await t.http.get(`/v1/wallets/${randomUUID()}`), 401, 'UNAUTHORIZED');
      expectProblem(await t.http.get('/v1/wallets/not-a-uuid'), 401, 'UNAUTHORIZED');
      expectProblem(await t.http.post(`/v1/wallets/${wallet}/deposits`).send({ amount: -1 }), 401, 'UNAUTHORIZED');
    });

    it('both configured API keys are accepted', async () => {
      expect((await t.http.get(`/v1/wallets/${wallet}`).set(AUTH)).status).toBe(200);
      expect((await t.http.get(`/v1/wallets/${wallet}`).set('Authorization', `Bearer ${OTHER_API_KEY}`)).status).toBe(200);
    });

    it.each(['/health/live', '/health/ready', '/docs', '/docs-json'])('%s needs no key', async (path) => {
      const res = await t.http.get(path);
      expect(res.status).toBe(200);
    });
  });

  describe('health and docs', () => {
    it('GET /health/live answers 200', async () => {
      const res = await t.http.get('/health/live');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.status).toBe('ok');
    });

    it('GET /health/ready answers 200 once the database answers and migrations are applied', async () => {
      const res = await t.http.get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
      const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0].n).toBeGreaterThan(0);
    });

    it('GET /docs serves the Swagger UI as HTML', async () => {
      const res = await t.http.get('/docs');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toMatch(/swagger/i);
    });

    it('GET /docs-json serves an OpenAPI 3 document as JSON', async () => {
      const res = await t.http.get('/docs-json');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.openapi).toMatch(/^3\./);
    });
  });

  describe('x-request-id', () => {
    const RESPONSES: [string, number, () => Test][] = [
      ['GET /health/live', 200, () => t.http.get('/health/live')],
      ['GET /health/ready', 200, () => t.http.get('/health/ready')],
      ['GET /docs', 200, () => t.http.get('/docs')],
      ['GET /docs-json', 200, () => t.http.get('/docs-json')],
      ['GET a wallet', 200, () => t.http.get(`/v1/wallets/${wallet}`).set(AUTH)],
      ['POST a wallet', 201, () => t.http.post('/v1/wallets').set(AUTH).send({ ownerId: `rid-${randomUUID()}`, currency: 'EUR' })],
      ['a 400 from validation', 400, () => t.http.post('/v1/wallets').set(AUTH).send({})],
      ['a 400 for malformed JSON', 400, () => rawPost(`/v1/wallets/${wallet}/deposits`, '{"amount":')],
      ['a 401', 401, () => t.http.get(`/v1/wallets/${wallet}`)],
      ['a 404 for an unknown wallet', 404, () => t.http.get(`/v1/wallets/${randomUUID()}`).set(AUTH)],
      ['a 404 for an unknown route', 404, () => t.http.get('/v1/nothing-here').set(AUTH)],
      ['a 413', 413, () => t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 1, description: 'x'.repeat(70_000) })],
      ['a 415', 415, () => t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Content-Type', 'application/json; charset=iso-8859-1').send('{"amount":1}')],
      ['a 422', 422, () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: wallet, toWalletId: wallet, amount: 1 })],
    ];

    it.each(RESPONSES)('%s carries one', async (_, status, make) => {
      const res = await make();
      expect(res.status).toBe(status);
      expect(res.headers['x-request-id']).toMatch(SANE_REQUEST_ID);
    });

    it.each(RESPONSES)('%s echoes a sane incoming X-Request-Id', async (_, status, make) => {
      const id = `trace-${randomUUID()}.1:A_b`;
      const res = await make().set('X-Request-Id', id);
      expect(res.status).toBe(status);
      expect(res.headers['x-request-id']).toBe(id);
    });

    it('mints a fresh id per request when none is sent', async () => {
      const a = await t.http.get('/health/live');
      const b = await t.http.get('/health/live');
      expect(a.headers['x-request-id']).toMatch(SANE_REQUEST_ID);
      expect(b.headers['x-request-id']).toMatch(SANE_REQUEST_ID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it.each([
      ['with spaces', 'hello world'],
      ['of 129 characters', 'r'.repeat(129)],
      ['with markup', '<script>alert(1)</script>'],
      ['with a semicolon', 'a;b'],
    ])('does not echo an id %s, but mints its own', async (_, id) => {
      const res = await t.http.get(`/v1/wallets/${wallet}`).set(AUTH).set('X-Request-Id', id);
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(SANE_REQUEST_ID);
      expect(res.headers['x-request-id']).not.toBe(id);
    });
  });
});
