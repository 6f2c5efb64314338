import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { AUTH, READER_AUTH, startTestApp, TestApp, WRITER_AUTH } from '../support/test-app.js';

/**
 * GET /docs-json must describe exactly what the service does: every route, the bearer scheme, and for
 * every /v1 operation the 4xx answers it really gives (each one provoked here over HTTP, then looked up).
 */

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  security?: Record<string, string[]>[];
}

const V1_OPERATIONS: [Method, string][] = [
  ['post', '/v1/wallets'],
  ['get', '/v1/wallets'],
  ['get', '/v1/wallets/{id}'],
  ['patch', '/v1/wallets/{id}'],
  ['post', '/v1/wallets/{id}/deposits'],
  ['post', '/v1/wallets/{id}/withdrawals'],
  ['post', '/v1/transfers'],
  ['get', '/v1/transactions/{id}'],
  ['get', '/v1/wallets/{id}/transactions'],
  ['post', '/v1/transactions/{id}/refunds'],
  ['post', '/v1/holds'],
  ['get', '/v1/holds/{id}'],
  ['get', '/v1/wallets/{id}/holds'],
  ['post', '/v1/holds/{id}/capture'],
  ['post', '/v1/holds/{id}/void'],
  ['post', '/v1/batches'],
  ['get', '/v1/wallets/{id}/statement'],
  ['get', '/v1/wallets/{id}/balance'],
  ['get', '/v1/reports/monthly'],
  ['get', '/v1/admin/ledger/verify'],
  ['get', '/v1/events'],
  ['post', '/v1/webhook-endpoints'],
  ['get', '/v1/webhook-endpoints'],
  ['get', '/v1/webhook-endpoints/{id}'],
  ['patch', '/v1/webhook-endpoints/{id}'],
  ['delete', '/v1/webhook-endpoints/{id}'],
  ['get', '/v1/webhook-endpoints/{id}/deliveries'],
  ['post', '/v1/webhook-endpoints/{id}/resend'],
  ['put', '/v1/admin/fx-rates/{from}/{to}'],
  ['get', '/v1/admin/fx-rates'],
  ['post', '/v1/fx-quotes'],
  ['get', '/v1/fx-quotes/{id}'],
  ['post', '/v1/conversions'],
];
/** Operations that take no input at all, so they have no 400 to give. */
const NO_INPUT_OPERATIONS = ['get /v1/admin/ledger/verify', 'get /v1/webhook-endpoints', 'get /v1/admin/fx-rates'];
const HEALTH_OPERATIONS: [Method, string][] = [
  ['get', '/health/live'],
  ['get', '/health/ready'],
];

describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: { openapi: string; paths: Record<string, Partial<Record<Method, Operation>>>; components: Record<string, Record<string, any>> };

  beforeAll(async () => {
    // No webhook delivery in this app: the endpoint created below must never be dialled.
    t = await startTestApp({ WEBHOOK_WORKER: 'false' });
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => t.close());

  const operation = (method: Method, path: string): Operation => {
    const found = doc.paths[path]?.[method];
    if (!found) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    return found;
  };
  /** Follows a local $ref (one level is all this document uses). */
  const resolve = (schema: Record<string, unknown>): Record<string, any> => {
    const ref = schema.$ref as string | undefined;
    return ref ? doc.components.schemas[ref.replace('#/components/schemas/', '')] : schema;
  };
  const bearerSchemes = () =>
    Object.entries(doc.components.securitySchemes ?? {}).filter(([, s]) => s.type === 'http' && String(s.scheme).toLowerCase() === 'bearer');

  it('is an OpenAPI 3 document', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(typeof doc.paths).toBe('object');
  });

  it.each([...V1_OPERATIONS, ...HEALTH_OPERATIONS])('documents %s %s', (method, path) => {
    expect(doc.paths[path]?.[method]).toBeDefined();
  });

  it('documents no /v1 operation the service does not have', () => {
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, item]) => Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(V1_OPERATIONS.map(([m, p]) => `${m} ${p}`).sort());
  });

  it.each(V1_OPERATIONS.filter(([, path]) => path.includes('{id}')))('%s %s declares {id} as a required path parameter', (method, path) => {
    const params = operation(method, path).parameters ?? [];
    expect(params).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]));
  });

  it('declares a bearer security scheme', () => {
    expect(bearerSchemes()).toHaveLength(1);
  });

  it('does not describe the API keys as JWTs', () => {
    const [[, scheme]] = bearerSchemes();
    expect(scheme.bearerFormat).not.toBe('JWT');
  });

  it.each(V1_OPERATIONS)('%s %s requires the bearer scheme', (method, path) => {
    const [[name]] = bearerSchemes();
    const security = operation(method, path).security ?? (doc as { security?: Record<string, string[]>[] }).security ?? [];
    expect(security).toEqual(expect.arrayContaining([expect.objectContaining({ [name]: expect.any(Array) })]));
  });

  it.each(HEALTH_OPERATIONS)('%s %s needs no key', (method, path) => {
    expect(operation(method, path).security ?? []).toEqual([]);
  });

  it.each(V1_OPERATIONS)('%s %s documents 400 (when it takes input) and 401 as application/problem+json with the problem fields', (method, path) => {
    const { responses } = operation(method, path);
    for (const status of NO_INPUT_OPERATIONS.includes(`${method} ${path}`) ? ['401'] : ['400', '401']) {
      const schema = responses[status]?.content?.['application/problem+json']?.schema;
      expect(schema).toBeDefined();
      const problem = resolve(schema as Record<string, unknown>);
      expect(Object.keys(problem.properties)).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'errors']));
      expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
    }
  });

  it.each(V1_OPERATIONS.filter(([method]) => method === 'post'))('%s %s documents the Idempotency-Key header (1–255 characters)', (method, path) => {
    const header = (operation(method, path).parameters ?? []).find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
    expect(header).toBeDefined();
    expect(header?.required ?? false).toBe(false);
    expect(header?.schema).toEqual(expect.objectContaining({ minLength: 1, maxLength: 255 }));
  });

  it('documents the success responses with the contract status codes', () => {
    const expected: Record<string, string> = {
      'post /v1/wallets': '201',
      'get /v1/wallets': '200',
      'get /v1/wallets/{id}': '200',
      'patch /v1/wallets/{id}': '200',
      'post /v1/wallets/{id}/deposits': '201',
      'post /v1/wallets/{id}/withdrawals': '201',
      'post /v1/transfers': '201',
      'get /v1/transactions/{id}': '200',
      'get /v1/wallets/{id}/transactions': '200',
      'post /v1/transactions/{id}/refunds': '201',
      'post /v1/holds': '201',
      'get /v1/holds/{id}': '200',
      'get /v1/wallets/{id}/holds': '200',
      'post /v1/holds/{id}/capture': '201',
      'post /v1/holds/{id}/void': '200',
      'post /v1/batches': '201',
      'get /v1/wallets/{id}/statement': '200',
      'get /v1/wallets/{id}/balance': '200',
      'get /v1/reports/monthly': '200',
      'get /v1/admin/ledger/verify': '200',
      'get /v1/events': '200',
      'post /v1/webhook-endpoints': '201',
      'get /v1/webhook-endpoints': '200',
      'get /v1/webhook-endpoints/{id}': '200',
      'patch /v1/webhook-endpoints/{id}': '200',
      'delete /v1/webhook-endpoints/{id}': '204',
      'get /v1/webhook-endpoints/{id}/deliveries': '200',
      'post /v1/webhook-endpoints/{id}/resend': '200',
      'put /v1/admin/fx-rates/{from}/{to}': '200',
      'get /v1/admin/fx-rates': '200',
      'post /v1/fx-quotes': '201',
      'get /v1/fx-quotes/{id}': '200',
      'post /v1/conversions': '201',
    };
    for (const [method, path] of V1_OPERATIONS) {
      const successes = Object.keys(operation(method, path).responses).filter((s) => s.startsWith('2'));
      expect({ op: `${method} ${path}`, successes }).toEqual({ op: `${method} ${path}`, successes: [expected[`${method} ${path}`]] });
    }
  });

  it('describes the Wallet with exactly the contract fields, all required, and display only with ?displayCurrency=', () => {
    const wallet = resolve(operation('get', '/v1/wallets/{id}').responses['200'].content!['application/json'].schema);
    const fields = ['id', 'ownerId', 'currency', 'status', 'balance', 'held', 'available', 'overdraftLimit', 'limits', 'limitUsage', 'metadata', 'createdAt', 'updatedAt'];
    expect(Object.keys(wallet.properties).sort()).toEqual([...fields, 'display'].sort());
    expect([...wallet.required].sort()).toEqual([...fields].sort());
    const display = resolve(wallet.properties.display.allOf?.[0] ?? wallet.properties.display);
    expect(Object.keys(display.properties).sort()).toEqual(['available', 'balance', 'currency', 'estimate', 'rate', 'rateUpdatedAt']);
    expect([...display.required].sort()).toEqual(['available', 'balance', 'currency', 'estimate', 'rate']);
    const query = (operation('get', '/v1/wallets/{id}').parameters ?? []).find((p) => p.name === 'displayCurrency');
    expect(query).toEqual(expect.objectContaining({ in: 'query', required: false }));
    for (const money of ['balance', 'held', 'available', 'overdraftLimit']) expect(wallet.properties[money].type).toBe('integer');
    expect(wallet.properties.status.enum.sort()).toEqual(['active', 'closed', 'frozen']);
    const list = resolve(operation('get', '/v1/wallets').responses['200'].content!['application/json'].schema);
    expect(list.properties.data.type).toBe('array');
  });

  it('describes the Transaction with the contract fields and signed integer entries', () => {
    const tx = resolve(operation('get', '/v1/transactions/{id}').responses['200'].content!['application/json'].schema);
    const allowed = ['id', 'type', 'status', 'amount', 'currency', 'walletId', 'fromWalletId', 'toWalletId', 'holdId', 'refundOf', 'refundedAmount', 'reference', 'description', 'metadata', 'createdAt', 'entries', 'quoteId', 'toCurrency', 'convertedAmount', 'rate'];
    for (const key of Object.keys(tx.properties)) expect(allowed).toContain(key);
    expect(tx.required).toEqual(expect.arrayContaining(['id', 'type', 'status', 'amount', 'currency', 'metadata', 'createdAt', 'entries']));
    expect(tx.properties.amount.type).toBe('integer');
    expect(tx.properties.type.enum).toContain('conversion');
    expect(tx.properties.convertedAmount.type).toBe('integer');
    expect(tx.properties.rate.type).toBe('string');
    const entry = resolve(tx.properties.entries.items);
    expect(Object.keys(entry.properties).sort()).toEqual(['account', 'amount', 'balanceAfter', 'hash', 'walletId']);
    expect(entry.properties.amount.type).toBe('integer');
    const page = resolve(operation('get', '/v1/wallets/{id}/transactions').responses['200'].content!['application/json'].schema);
    expect(Object.keys(page.properties).sort()).toEqual(['data', 'nextCursor']);
  });

  it('describes the request bodies with the contract fields and the amount range', () => {
    const body = (method: Method, path: string) => resolve(operation(method, path).requestBody!.content['application/json'].schema);
    expect(Object.keys(body('post', '/v1/wallets').properties).sort()).toEqual(['currency', 'limits', 'metadata', 'overdraftLimit', 'ownerId']);
    expect([...body('post', '/v1/wallets').required].sort()).toEqual(['currency', 'ownerId']);
    expect(Object.keys(body('patch', '/v1/wallets/{id}').properties).sort()).toEqual(['limits', 'metadata', 'overdraftLimit', 'status']);
    for (const path of ['/v1/wallets/{id}/deposits', '/v1/wallets/{id}/withdrawals']) {
      expect(Object.keys(body('post', path).properties).sort()).toEqual(['amount', 'description', 'metadata', 'reference']);
    }
    expect(Object.keys(body('post', '/v1/transfers').properties).sort()).toEqual(['amount', 'description', 'fromWalletId', 'metadata', 'reference', 'toWalletId']);
    expect(Object.keys(body('put', '/v1/admin/fx-rates/{from}/{to}').properties)).toEqual(['rate']);
    expect(body('put', '/v1/admin/fx-rates/{from}/{to}').properties.rate).toEqual(expect.objectContaining({ type: 'string', pattern: expect.any(String) }));
    expect(Object.keys(body('post', '/v1/fx-quotes').properties).sort()).toEqual(['amount', 'expiresInSeconds', 'fromCurrency', 'toCurrency']);
    expect([...body('post', '/v1/fx-quotes').required].sort()).toEqual(['amount', 'fromCurrency', 'toCurrency']);
    expect(body('post', '/v1/fx-quotes').properties.expiresInSeconds).toEqual(expect.objectContaining({ minimum: 1, maximum: 600, default: 30 }));
    expect(Object.keys(body('post', '/v1/conversions').properties).sort()).toEqual(['description', 'fromWalletId', 'metadata', 'quoteId', 'reference', 'toWalletId']);
    expect([...body('post', '/v1/conversions').required].sort()).toEqual(['fromWalletId', 'quoteId', 'toWalletId']);
    const quote = resolve(operation('post', '/v1/fx-quotes').responses['201'].content!['application/json'].schema);
    const quoteFields = ['id', 'fromCurrency', 'toCurrency', 'amount', 'convertedAmount', 'rate', 'expiresAt', 'createdAt'];
    expect(Object.keys(quote.properties).sort()).toEqual([...quoteFields, 'status', 'transactionId'].sort());
    expect([...quote.required].sort()).toEqual([...quoteFields, 'status'].sort());
    expect(quote.properties.rate.type).toBe('string');
    const rate = resolve(operation('put', '/v1/admin/fx-rates/{from}/{to}').responses['200'].content!['application/json'].schema);
    expect(Object.keys(rate.properties).sort()).toEqual(['fromCurrency', 'rate', 'toCurrency', 'updatedAt']);
    for (const path of ['/v1/wallets/{id}/deposits', '/v1/wallets/{id}/withdrawals', '/v1/transfers']) {
      const amount = body('post', path).properties.amount;
      expect(amount).toEqual(expect.objectContaining({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }));
      expect(body('post', path).required).toContain('amount');
    }
  });

  it('documents the history query: limit 1–100 default 20, cursor, type, from, to, order', () => {
    const params = operation('get', '/v1/wallets/{id}/transactions').parameters ?? [];
    const query = Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
    expect(Object.keys(query).sort()).toEqual(['cursor', 'from', 'limit', 'order', 'to', 'type']);
    expect(query.limit.schema).toEqual(expect.objectContaining({ minimum: 1, maximum: 100, default: 20 }));
    expect(query.order.schema?.enum).toEqual(expect.arrayContaining(['asc', 'desc']));
    const list = (operation('get', '/v1/wallets').parameters ?? []).find((p) => p.name === 'ownerId');
    expect(list).toEqual(expect.objectContaining({ in: 'query', required: true }));
  });

  it('describes the Event and its feed query with the contract fields', () => {
    const page = resolve(operation('get', '/v1/events').responses['200'].content!['application/json'].schema);
    expect(Object.keys(page.properties).sort()).toEqual(['data', 'nextCursor']);
    const event = resolve(page.properties.data.items);
    const fields = ['createdAt', 'data', 'id', 'sequence', 'type'];
    expect(Object.keys(event.properties).sort()).toEqual(fields);
    expect([...event.required].sort()).toEqual(fields);
    expect(event.properties.sequence).toEqual(expect.objectContaining({ type: 'integer', minimum: 1 }));
    expect([...event.properties.type.enum].sort()).toEqual(
      ['hold.captured', 'hold.created', 'hold.expired', 'hold.voided', 'transaction.posted', 'wallet.created', 'wallet.updated'],
    );
    const query = (operation('get', '/v1/events').parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    expect(query.sort()).toEqual(['after', 'cursor', 'limit', 'type', 'walletId']);
  });

  it('describes the Webhook endpoint with the contract fields and the bodies that create and change it', () => {
    const endpoint = resolve(operation('get', '/v1/webhook-endpoints/{id}').responses['200'].content!['application/json'].schema);
    // the contract's fields, and updatedAt besides
    expect(Object.keys(endpoint.properties).sort()).toEqual(['createdAt', 'description', 'eventTypes', 'id', 'secret', 'status', 'updatedAt', 'url']);
    expect(endpoint.required).toEqual(expect.arrayContaining(['id', 'url', 'eventTypes', 'status', 'createdAt']));
    expect(endpoint.required).not.toContain('secret');
    expect([...endpoint.properties.status.enum].sort()).toEqual(['disabled', 'enabled']);
    const body = (method: Method, path: string) => resolve(operation(method, path).requestBody!.content['application/json'].schema);
    expect(Object.keys(body('post', '/v1/webhook-endpoints').properties).sort()).toEqual(['description', 'eventTypes', 'url']);
    expect(body('post', '/v1/webhook-endpoints').required).toEqual(['url']);
    expect(Object.keys(body('patch', '/v1/webhook-endpoints/{id}').properties).sort()).toEqual(['description', 'eventTypes', 'status', 'url']);
    expect(operation('delete', '/v1/webhook-endpoints/{id}').responses['204'].content).toBeUndefined();
  });

  it('documents that /health/ready answers 503 when not ready', () => {
    expect(Object.keys(operation('get', '/health/ready').responses)).toContain('503');
  });

  describe('every 4xx a /v1 operation really gives is documented for it', () => {
    let wallet: string;
    let usd: string;
    let closed: string;
    let transactionId: string;
    let holdsWallet: string;
    let activeHold: string;
    let capturedHold: string;
    let endpoint: string;
    let usedQuote: string;
    let expiredQuote: string;
    let convertQuote: string;
    let quoteUsd: string;
    const unknown = randomUUID();
    const tooBig = 'x'.repeat(64 * 1024 + 1);
    const latin1 = (request: Test) => request.set('Content-Type', 'application/json; charset=iso-8859-1');

    beforeAll(async () => {
      const create = async (ownerId: string, currency: string) => (await t.http.post('/v1/wallets').set(AUTH).send({ ownerId, currency }).expect(201)).body.id as string;
      wallet = await create('doc-main', 'EUR');
      usd = await create('doc-usd', 'USD');
      closed = await create('doc-closed', 'EUR');
      await t.http.patch(`/v1/wallets/${closed}`).set(AUTH).send({ status: 'closed' }).expect(200);
      transactionId = (await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 100 }).expect(201)).body.id;
      await t.http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'doc-key').send({ ownerId: 'doc-idem', currency: 'EUR' }).expect(201);
      await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).set('Idempotency-Key', 'doc-key-2').send({ amount: 1 }).expect(201);
      // holds: one that stays active (every provocation below is refused), one captured already
      holdsWallet = await create('doc-holds', 'EUR');
      await t.http.post(`/v1/wallets/${holdsWallet}/deposits`).set(AUTH).send({ amount: 1_000 }).expect(201);
      activeHold = (await t.http.post('/v1/holds').set(AUTH).send({ walletId: holdsWallet, amount: 100 }).expect(201)).body.id;
      capturedHold = (await t.http.post('/v1/holds').set(AUTH).send({ walletId: holdsWallet, amount: 100 }).expect(201)).body.id;
      await t.http.post(`/v1/holds/${capturedHold}/capture`).set(AUTH).send({}).expect(201);
      // a webhook endpoint at a public address (accepted without resolving it), disabled: nothing is sent to it
      endpoint = (await t.http.post('/v1/webhook-endpoints').set(AUTH).send({ url: 'https://93.184.216.34/hook', eventTypes: ['wallet.created'] }).expect(201)).body.id;
      await t.http.patch(`/v1/webhook-endpoints/${endpoint}`).set(AUTH).send({ status: 'disabled' }).expect(200);
      // FX: a rate, a quote used already, one that expires at once (on the real clock: 1 s), one left to provoke with
      await t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: '1.1' }).expect(200);
      quoteUsd = await create('doc-fx-usd', 'USD');
      const newQuote = async (amount: number, expiresInSeconds = 600) =>
        (await t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount, expiresInSeconds }).expect(201)).body.id as string;
      usedQuote = await newQuote(1);
      await t.http.post('/v1/conversions').set(AUTH).send({ quoteId: usedQuote, fromWalletId: wallet, toWalletId: quoteUsd }).expect(201);
      expiredQuote = await newQuote(1, 1);
      convertQuote = await newQuote(1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    });

    /** [method, documented path, what provokes it, the status it must give, the request]. */
    const PROVOCATIONS: [Method, string, string, number, () => Test][] = [
      ['post', '/v1/wallets', 'bad currency', 400, () => t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'd', currency: 'eur' })],
      ['post', '/v1/wallets', 'no key', 401, () => t.http.post('/v1/wallets').send({ ownerId: 'd', currency: 'EUR' })],
      ['post', '/v1/wallets', 'existing wallet', 409, () => t.http.post('/v1/wallets').set(AUTH).send({ ownerId: 'doc-main', currency: 'EUR' })],
      ['post', '/v1/wallets', 'body over 64 KiB', 413, () => t.http.post('/v1/wallets').set(AUTH).send({ ownerId: tooBig, currency: 'EUR' })],
      ['post', '/v1/wallets', 'latin-1 body', 415, () => latin1(t.http.post('/v1/wallets').set(AUTH)).send('{"ownerId":"d","currency":"EUR"}')],
      ['post', '/v1/wallets', 'reused key', 422, () => t.http.post('/v1/wallets').set(AUTH).set('Idempotency-Key', 'doc-key').send({ ownerId: 'doc-idem', currency: 'USD' })],
      ['get', '/v1/wallets', 'no ownerId', 400, () => t.http.get('/v1/wallets').set(AUTH)],
      ['get', '/v1/wallets', 'no key', 401, () => t.http.get('/v1/wallets').query({ ownerId: 'doc-main' })],
      ['get', '/v1/wallets/{id}', 'bad id', 400, () => t.http.get('/v1/wallets/nope').set(AUTH)],
      ['get', '/v1/wallets/{id}', 'no key', 401, () => t.http.get(`/v1/wallets/${wallet}`)],
      ['get', '/v1/wallets/{id}', 'unknown id', 404, () => t.http.get(`/v1/wallets/${unknown}`).set(AUTH)],
      ['patch', '/v1/wallets/{id}', 'bad status', 400, () => t.http.patch(`/v1/wallets/${wallet}`).set(AUTH).send({ status: 'gone' })],
      ['patch', '/v1/wallets/{id}', 'no key', 401, () => t.http.patch(`/v1/wallets/${wallet}`).send({ status: 'frozen' })],
      ['patch', '/v1/wallets/{id}', 'unknown id', 404, () => t.http.patch(`/v1/wallets/${unknown}`).set(AUTH).send({ status: 'frozen' })],
      ['patch', '/v1/wallets/{id}', 'body over 64 KiB', 413, () => t.http.patch(`/v1/wallets/${wallet}`).set(AUTH).send({ metadata: { a: tooBig } })],
      ['patch', '/v1/wallets/{id}', 'latin-1 body', 415, () => latin1(t.http.patch(`/v1/wallets/${wallet}`).set(AUTH)).send('{"status":"active"}')],
      ['patch', '/v1/wallets/{id}', 'reopening a closed wallet', 422, () => t.http.patch(`/v1/wallets/${closed}`).set(AUTH).send({ status: 'active' })],
      ['post', '/v1/wallets/{id}/deposits', 'amount 0', 400, () => t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 0 })],
      ['post', '/v1/wallets/{id}/deposits', 'no key', 401, () => t.http.post(`/v1/wallets/${wallet}/deposits`).send({ amount: 1 })],
      ['post', '/v1/wallets/{id}/deposits', 'unknown wallet', 404, () => t.http.post(`/v1/wallets/${unknown}/deposits`).set(AUTH).send({ amount: 1 })],
      ['post', '/v1/wallets/{id}/deposits', 'body over 64 KiB', 413, () => t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 1, description: tooBig })],
      ['post', '/v1/wallets/{id}/deposits', 'latin-1 body', 415, () => latin1(t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH)).send('{"amount":1}')],
      ['post', '/v1/wallets/{id}/deposits', 'closed wallet', 422, () => t.http.post(`/v1/wallets/${closed}/deposits`).set(AUTH).send({ amount: 1 })],
      ['post', '/v1/wallets/{id}/withdrawals', 'amount 1.5', 400, () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(AUTH).send({ amount: 1.5 })],
      ['post', '/v1/wallets/{id}/withdrawals', 'no key', 401, () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).send({ amount: 1 })],
      ['post', '/v1/wallets/{id}/withdrawals', 'unknown wallet', 404, () => t.http.post(`/v1/wallets/${unknown}/withdrawals`).set(AUTH).send({ amount: 1 })],
      ['post', '/v1/wallets/{id}/withdrawals', 'body over 64 KiB', 413, () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(AUTH).send({ amount: 1, description: tooBig })],
      ['post', '/v1/wallets/{id}/withdrawals', 'latin-1 body', 415, () => latin1(t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(AUTH)).send('{"amount":1}')],
      ['post', '/v1/wallets/{id}/withdrawals', 'insufficient funds', 422, () => t.http.post(`/v1/wallets/${wallet}/withdrawals`).set(AUTH).send({ amount: 1_000_000 })],
      ['post', '/v1/transfers', 'missing toWalletId', 400, () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: wallet, amount: 1 })],
      ['post', '/v1/transfers', 'no key', 401, () => t.http.post('/v1/transfers').send({ fromWalletId: wallet, toWalletId: usd, amount: 1 })],
      ['post', '/v1/transfers', 'unknown receiver', 404, () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: wallet, toWalletId: unknown, amount: 1 })],
      ['post', '/v1/transfers', 'body over 64 KiB', 413, () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: wallet, toWalletId: usd, amount: 1, description: tooBig })],
      ['post', '/v1/transfers', 'latin-1 body', 415, () => latin1(t.http.post('/v1/transfers').set(AUTH)).send(`{"fromWalletId":"${wallet}","toWalletId":"${usd}","amount":1}`)],
      ['post', '/v1/transfers', 'currency mismatch', 422, () => t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: wallet, toWalletId: usd, amount: 1 })],
      ['get', '/v1/transactions/{id}', 'bad id', 400, () => t.http.get('/v1/transactions/nope').set(AUTH)],
      ['get', '/v1/transactions/{id}', 'no key', 401, () => t.http.get(`/v1/transactions/${transactionId}`)],
      ['get', '/v1/transactions/{id}', 'unknown id', 404, () => t.http.get(`/v1/transactions/${unknown}`).set(AUTH)],
      ['get', '/v1/wallets/{id}/transactions', 'limit 0', 400, () => t.http.get(`/v1/wallets/${wallet}/transactions`).query({ limit: 0 }).set(AUTH)],
      ['get', '/v1/wallets/{id}/transactions', 'no key', 401, () => t.http.get(`/v1/wallets/${wallet}/transactions`)],
      ['get', '/v1/wallets/{id}/transactions', 'unknown wallet', 404, () => t.http.get(`/v1/wallets/${unknown}/transactions`).set(AUTH)],
      ['post', '/v1/transactions/{id}/refunds', 'amount 0', 400, () => t.http.post(`/v1/transactions/${transactionId}/refunds`).set(AUTH).send({ amount: 0 })],
      ['post', '/v1/transactions/{id}/refunds', 'no key', 401, () => t.http.post(`/v1/transactions/${transactionId}/refunds`).send({})],
      ['post', '/v1/transactions/{id}/refunds', 'unknown transaction', 404, () => t.http.post(`/v1/transactions/${unknown}/refunds`).set(AUTH).send({})],
      ['post', '/v1/transactions/{id}/refunds', 'body over 64 KiB', 413, () => t.http.post(`/v1/transactions/${transactionId}/refunds`).set(AUTH).send({ description: tooBig })],
      ['post', '/v1/transactions/{id}/refunds', 'latin-1 body', 415, () => latin1(t.http.post(`/v1/transactions/${transactionId}/refunds`).set(AUTH)).send('{"amount":1}')],
      ['post', '/v1/transactions/{id}/refunds', 'more than refundable', 422, () => t.http.post(`/v1/transactions/${transactionId}/refunds`).set(AUTH).send({ amount: 1_000_000 })],
      ['post', '/v1/holds', 'expiresInSeconds 0', 400, () => t.http.post('/v1/holds').set(AUTH).send({ walletId: holdsWallet, amount: 1, expiresInSeconds: 0 })],
      ['post', '/v1/holds', 'no key', 401, () => t.http.post('/v1/holds').send({ walletId: holdsWallet, amount: 1 })],
      ['post', '/v1/holds', 'unknown wallet', 404, () => t.http.post('/v1/holds').set(AUTH).send({ walletId: unknown, amount: 1 })],
      ['post', '/v1/holds', 'body over 64 KiB', 413, () => t.http.post('/v1/holds').set(AUTH).send({ walletId: holdsWallet, amount: 1, description: tooBig })],
      ['post', '/v1/holds', 'latin-1 body', 415, () => latin1(t.http.post('/v1/holds').set(AUTH)).send(`{"walletId":"${holdsWallet}","amount":1}`)],
      ['post', '/v1/holds', 'insufficient funds', 422, () => t.http.post('/v1/holds').set(AUTH).send({ walletId: holdsWallet, amount: 1_000_000 })],
      ['get', '/v1/holds/{id}', 'bad id', 400, () => t.http.get('/v1/holds/nope').set(AUTH)],
      ['get', '/v1/holds/{id}', 'no key', 401, () => t.http.get(`/v1/holds/${activeHold}`)],
      ['get', '/v1/holds/{id}', 'unknown id', 404, () => t.http.get(`/v1/holds/${unknown}`).set(AUTH)],
      ['get', '/v1/wallets/{id}/holds', 'limit 0', 400, () => t.http.get(`/v1/wallets/${holdsWallet}/holds`).query({ limit: 0 }).set(AUTH)],
      ['get', '/v1/wallets/{id}/holds', 'no key', 401, () => t.http.get(`/v1/wallets/${holdsWallet}/holds`)],
      ['get', '/v1/wallets/{id}/holds', 'unknown wallet', 404, () => t.http.get(`/v1/wallets/${unknown}/holds`).set(AUTH)],
      ['post', '/v1/holds/{id}/capture', 'amount 1.5', 400, () => t.http.post(`/v1/holds/${activeHold}/capture`).set(AUTH).send({ amount: 1.5 })],
      ['post', '/v1/holds/{id}/capture', 'no key', 401, () => t.http.post(`/v1/holds/${activeHold}/capture`).send({})],
      ['post', '/v1/holds/{id}/capture', 'unknown hold', 404, () => t.http.post(`/v1/holds/${unknown}/capture`).set(AUTH).send({})],
      ['post', '/v1/holds/{id}/capture', 'hold already captured', 409, () => t.http.post(`/v1/holds/${capturedHold}/capture`).set(AUTH).send({})],
      ['post', '/v1/holds/{id}/capture', 'body over 64 KiB', 413, () => t.http.post(`/v1/holds/${activeHold}/capture`).set(AUTH).send({ description: tooBig })],
      ['post', '/v1/holds/{id}/capture', 'latin-1 body', 415, () => latin1(t.http.post(`/v1/holds/${activeHold}/capture`).set(AUTH)).send('{"amount":1}')],
      ['post', '/v1/holds/{id}/capture', 'more than the hold', 422, () => t.http.post(`/v1/holds/${activeHold}/capture`).set(AUTH).send({ amount: 101 })],
      ['post', '/v1/holds/{id}/void', 'bad id', 400, () => t.http.post('/v1/holds/nope/void').set(AUTH)],
      ['post', '/v1/holds/{id}/void', 'no key', 401, () => t.http.post(`/v1/holds/${activeHold}/void`)],
      ['post', '/v1/holds/{id}/void', 'unknown hold', 404, () => t.http.post(`/v1/holds/${unknown}/void`).set(AUTH)],
      ['post', '/v1/holds/{id}/void', 'hold already captured', 409, () => t.http.post(`/v1/holds/${capturedHold}/void`).set(AUTH)],
      ['post', '/v1/holds/{id}/void', 'body over 64 KiB', 413, () => t.http.post(`/v1/holds/${activeHold}/void`).set(AUTH).send({ description: tooBig })],
      ['post', '/v1/holds/{id}/void', 'latin-1 body', 415, () => latin1(t.http.post(`/v1/holds/${activeHold}/void`).set(AUTH)).send('{}')],
      ['post', '/v1/holds/{id}/void', 'reused key', 422, () => t.http.post(`/v1/holds/${activeHold}/void`).set(AUTH).set('Idempotency-Key', 'doc-key-2')],
      ['post', '/v1/batches', 'no operations', 400, () => t.http.post('/v1/batches').set(AUTH).send({ operations: [] })],
      ['post', '/v1/batches', 'no key', 401, () => t.http.post('/v1/batches').send({ operations: [{ type: 'deposit', walletId: wallet, amount: 1 }] })],
      ['post', '/v1/batches', 'unknown wallet', 404, () => t.http.post('/v1/batches').set(AUTH).send({ operations: [{ type: 'deposit', walletId: unknown, amount: 1 }] })],
      ['post', '/v1/batches', 'capture of a captured hold', 409, () => t.http.post('/v1/batches').set(AUTH).send({ operations: [{ type: 'capture', holdId: capturedHold }] })],
      ['post', '/v1/batches', 'body over 64 KiB', 413, () => t.http.post('/v1/batches').set(AUTH).send({ operations: [{ type: 'deposit', walletId: wallet, amount: 1, description: tooBig }] })],
      ['post', '/v1/batches', 'latin-1 body', 415, () => latin1(t.http.post('/v1/batches').set(AUTH)).send(`{"operations":[{"type":"deposit","walletId":"${wallet}","amount":1}]}`)],
      ['post', '/v1/batches', 'insufficient funds', 422, () => t.http.post('/v1/batches').set(AUTH).send({ operations: [{ type: 'withdrawal', walletId: wallet, amount: 1_000_000 }] })],
      ['get', '/v1/wallets/{id}/statement', 'from after to', 400, () => t.http.get(`/v1/wallets/${wallet}/statement`).query({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }).set(AUTH)],
      ['get', '/v1/wallets/{id}/statement', 'no key', 401, () => t.http.get(`/v1/wallets/${wallet}/statement`)],
      ['get', '/v1/wallets/{id}/statement', 'unknown wallet', 404, () => t.http.get(`/v1/wallets/${unknown}/statement`).set(AUTH)],
      ['get', '/v1/wallets/{id}/balance', 'at not a date-time', 400, () => t.http.get(`/v1/wallets/${wallet}/balance`).query({ at: 'yesterday' }).set(AUTH)],
      ['get', '/v1/wallets/{id}/balance', 'no key', 401, () => t.http.get(`/v1/wallets/${wallet}/balance`)],
      ['get', '/v1/wallets/{id}/balance', 'unknown wallet', 404, () => t.http.get(`/v1/wallets/${unknown}/balance`).set(AUTH)],
      ['get', '/v1/reports/monthly', 'month 13', 400, () => t.http.get('/v1/reports/monthly').query({ year: 2026, month: 13, currency: 'EUR' }).set(AUTH)],
      ['get', '/v1/reports/monthly', 'no key', 401, () => t.http.get('/v1/reports/monthly').query({ year: 2026, month: 11, currency: 'EUR' })],
      ['get', '/v1/admin/ledger/verify', 'no key', 401, () => t.http.get('/v1/admin/ledger/verify')],
      ['get', '/v1/events', 'limit 0', 400, () => t.http.get('/v1/events').query({ limit: 0 }).set(AUTH)],
      ['get', '/v1/events', 'after and cursor both', 400, () => t.http.get('/v1/events').query({ after: 1, cursor: 'x' }).set(AUTH)],
      ['get', '/v1/events', 'no key', 401, () => t.http.get('/v1/events')],
      ['post', '/v1/webhook-endpoints', 'not an http URL', 400, () => t.http.post('/v1/webhook-endpoints').set(AUTH).send({ url: 'ftp://93.184.216.34/hook' })],
      ['post', '/v1/webhook-endpoints', 'a private URL', 400, () => t.http.post('/v1/webhook-endpoints').set(AUTH).send({ url: 'http://10.1.2.3/hook' })],
      ['post', '/v1/webhook-endpoints', 'no key', 401, () => t.http.post('/v1/webhook-endpoints').send({ url: 'https://93.184.216.34/hook' })],
      ['post', '/v1/webhook-endpoints', 'body over 64 KiB', 413, () => t.http.post('/v1/webhook-endpoints').set(AUTH).send({ url: 'https://93.184.216.34/hook', description: tooBig })],
      ['post', '/v1/webhook-endpoints', 'latin-1 body', 415, () => latin1(t.http.post('/v1/webhook-endpoints').set(AUTH)).send('{"url":"https://93.184.216.34/hook"}')],
      ['post', '/v1/webhook-endpoints', 'reused key', 422, () => t.http.post('/v1/webhook-endpoints').set(AUTH).set('Idempotency-Key', 'doc-key').send({ url: 'https://93.184.216.34/hook' })],
      ['get', '/v1/webhook-endpoints', 'no key', 401, () => t.http.get('/v1/webhook-endpoints')],
      ['get', '/v1/webhook-endpoints/{id}', 'bad id', 400, () => t.http.get('/v1/webhook-endpoints/nope').set(AUTH)],
      ['get', '/v1/webhook-endpoints/{id}', 'no key', 401, () => t.http.get(`/v1/webhook-endpoints/${endpoint}`)],
      ['get', '/v1/webhook-endpoints/{id}', 'unknown id', 404, () => t.http.get(`/v1/webhook-endpoints/${unknown}`).set(AUTH)],
      ['patch', '/v1/webhook-endpoints/{id}', 'bad status', 400, () => t.http.patch(`/v1/webhook-endpoints/${endpoint}`).set(AUTH).send({ status: 'paused' })],
      ['patch', '/v1/webhook-endpoints/{id}', 'no key', 401, () => t.http.patch(`/v1/webhook-endpoints/${endpoint}`).send({ status: 'disabled' })],
      ['patch', '/v1/webhook-endpoints/{id}', 'unknown id', 404, () => t.http.patch(`/v1/webhook-endpoints/${unknown}`).set(AUTH).send({ status: 'disabled' })],
      ['patch', '/v1/webhook-endpoints/{id}', 'body over 64 KiB', 413, () => t.http.patch(`/v1/webhook-endpoints/${endpoint}`).set(AUTH).send({ description: tooBig })],
      ['patch', '/v1/webhook-endpoints/{id}', 'latin-1 body', 415, () => latin1(t.http.patch(`/v1/webhook-endpoints/${endpoint}`).set(AUTH)).send('{"status":"disabled"}')],
      ['delete', '/v1/webhook-endpoints/{id}', 'bad id', 400, () => t.http.delete('/v1/webhook-endpoints/nope').set(AUTH)],
      ['delete', '/v1/webhook-endpoints/{id}', 'no key', 401, () => t.http.delete(`/v1/webhook-endpoints/${endpoint}`)],
      ['delete', '/v1/webhook-endpoints/{id}', 'unknown id', 404, () => t.http.delete(`/v1/webhook-endpoints/${unknown}`).set(AUTH)],
      ['get', '/v1/webhook-endpoints/{id}/deliveries', 'limit 0', 400, () => t.http.get(`/v1/webhook-endpoints/${endpoint}/deliveries`).query({ limit: 0 }).set(AUTH)],
      ['get', '/v1/webhook-endpoints/{id}/deliveries', 'no key', 401, () => t.http.get(`/v1/webhook-endpoints/${endpoint}/deliveries`)],
      ['get', '/v1/webhook-endpoints/{id}/deliveries', 'unknown id', 404, () => t.http.get(`/v1/webhook-endpoints/${unknown}/deliveries`).set(AUTH)],
      ['post', '/v1/webhook-endpoints/{id}/resend', 'after -1', 400, () => t.http.post(`/v1/webhook-endpoints/${endpoint}/resend`).set(AUTH).send({ after: -1 })],
      ['post', '/v1/webhook-endpoints/{id}/resend', 'no key', 401, () => t.http.post(`/v1/webhook-endpoints/${endpoint}/resend`).send({ after: 0 })],
      ['post', '/v1/webhook-endpoints/{id}/resend', 'unknown id', 404, () => t.http.post(`/v1/webhook-endpoints/${unknown}/resend`).set(AUTH).send({ after: 0 })],
      ['post', '/v1/webhook-endpoints/{id}/resend', 'body over 64 KiB', 413, () => t.http.post(`/v1/webhook-endpoints/${endpoint}/resend`).set(AUTH).send({ after: 0, pad: tooBig })],
      ['post', '/v1/webhook-endpoints/{id}/resend', 'latin-1 body', 415, () => latin1(t.http.post(`/v1/webhook-endpoints/${endpoint}/resend`).set(AUTH)).send('{"after":0}')],
      ['post', '/v1/webhook-endpoints/{id}/resend', 'reused key', 422, () => t.http.post(`/v1/webhook-endpoints/${endpoint}/resend`).set(AUTH).set('Idempotency-Key', 'doc-key-2').send({ after: 0 })],
      ['put', '/v1/admin/fx-rates/{from}/{to}', 'rate 0', 400, () => t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: '0' })],
      ['put', '/v1/admin/fx-rates/{from}/{to}', 'no key', 401, () => t.http.put('/v1/admin/fx-rates/EUR/USD').send({ rate: '1.1' })],
      ['put', '/v1/admin/fx-rates/{from}/{to}', 'body over 64 KiB', 413, () => t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: tooBig })],
      ['put', '/v1/admin/fx-rates/{from}/{to}', 'latin-1 body', 415, () => latin1(t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH)).send('{"rate":"1.1"}')],
      ['get', '/v1/admin/fx-rates', 'no key', 401, () => t.http.get('/v1/admin/fx-rates')],
      ['post', '/v1/fx-quotes', 'same currency twice', 400, () => t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: 'EUR', toCurrency: 'EUR', amount: 1 })],
      ['post', '/v1/fx-quotes', 'no key', 401, () => t.http.post('/v1/fx-quotes').send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1 })],
      ['post', '/v1/fx-quotes', 'body over 64 KiB', 413, () => t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: tooBig, toCurrency: 'USD', amount: 1 })],
      ['post', '/v1/fx-quotes', 'latin-1 body', 415, () => latin1(t.http.post('/v1/fx-quotes').set(AUTH)).send('{"fromCurrency":"EUR","toCurrency":"USD","amount":1}')],
      ['post', '/v1/fx-quotes', 'no rate', 422, () => t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: 1 })],
      ['get', '/v1/fx-quotes/{id}', 'bad id', 400, () => t.http.get('/v1/fx-quotes/nope').set(AUTH)],
      ['get', '/v1/fx-quotes/{id}', 'no key', 401, () => t.http.get(`/v1/fx-quotes/${usedQuote}`)],
      ['get', '/v1/fx-quotes/{id}', 'unknown id', 404, () => t.http.get(`/v1/fx-quotes/${unknown}`).set(AUTH)],
      ['post', '/v1/conversions', 'bad quoteId', 400, () => t.http.post('/v1/conversions').set(AUTH).send({ quoteId: 'nope', fromWalletId: wallet, toWalletId: quoteUsd })],
      ['post', '/v1/conversions', 'no key', 401, () => t.http.post('/v1/conversions').send({ quoteId: convertQuote, fromWalletId: wallet, toWalletId: quoteUsd })],
      ['post', '/v1/conversions', 'unknown quote', 404, () => t.http.post('/v1/conversions').set(AUTH).send({ quoteId: unknown, fromWalletId: wallet, toWalletId: quoteUsd })],
      ['post', '/v1/conversions', 'quote used', 409, () => t.http.post('/v1/conversions').set(AUTH).send({ quoteId: usedQuote, fromWalletId: wallet, toWalletId: quoteUsd })],
      ['post', '/v1/conversions', 'body over 64 KiB', 413, () => t.http.post('/v1/conversions').set(AUTH).send({ quoteId: convertQuote, fromWalletId: wallet, toWalletId: quoteUsd, description: tooBig })],
      ['post', '/v1/conversions', 'latin-1 body', 415, () => latin1(t.http.post('/v1/conversions').set(AUTH)).send(`{"quoteId":"${convertQuote}","fromWalletId":"${wallet}","toWalletId":"${quoteUsd}"}`)],
      ['post', '/v1/conversions', 'quote expired', 422, () => t.http.post('/v1/conversions').set(AUTH).send({ quoteId: expiredQuote, fromWalletId: wallet, toWalletId: quoteUsd })],
      ['get', '/v1/wallets/{id}', 'no rate to display in', 422, () => t.http.get(`/v1/wallets/${wallet}`).query({ displayCurrency: 'JPY' }).set(AUTH)],
      // 403: a key without the scope the call needs (GET: wallets:read, writes: wallets:write, admin: admin).
      ...V1_OPERATIONS.map(([method, path]): [Method, string, string, number, () => Test] => [
        method,
        path,
        'a key without the scope',
        403,
        () =>
          t.http[method](path.replaceAll('{id}', unknown).replace('{from}', 'EUR').replace('{to}', 'USD'))
            .set(method === 'get' && !path.startsWith('/v1/admin') ? WRITER_AUTH : READER_AUTH),
      ]),
    ];

    it.each(PROVOCATIONS)('%s %s: %s → %i is documented', async (method, path, _, status, make) => {
      const res = await make();
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys(operation(method, path).responses)).toContain(String(status));
    });

    it('every documented /v1 operation was provoked into each of its documented 4xx answers except 409 IDEMPOTENCY_IN_PROGRESS and 429', () => {
      for (const [method, path] of V1_OPERATIONS) {
        // 429 RATE_LIMITED needs a key over its limit: rate-limits.spec.ts provokes it on every documented operation.
        const documented = Object.keys(operation(method, path).responses).filter((s) => s.startsWith('4') && s !== '429');
        const provoked = new Set(PROVOCATIONS.filter(([m, p]) => m === method && p === path).map(([, , , s]) => String(s)));
        // 409 on movements is IDEMPOTENCY_IN_PROGRESS, which needs a request stuck past lock_timeout (see test/integration).
        const unprovoked = documented.filter((s) => !provoked.has(s) && !(s === '409' && method === 'post' && path !== '/v1/wallets'));
        expect({ op: `${method} ${path}`, unprovoked }).toEqual({ op: `${method} ${path}`, unprovoked: [] });
      }
    });
  });
});
