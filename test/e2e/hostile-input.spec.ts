import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { expectProblem } from '../support/expect-problem.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { ACME_AUTH, AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * Whatever a client sends, the answer is a 2xx or a 4xx problem with one of the contract's codes: never a
 * 5xx, never a hang, never money made or lost. Every operation gets a few hundred requests built from a
 * valid one by one hostile change each — a field swapped for a wrong type, a huge or fractional number,
 * an unknown or missing field, a raw body that is not the JSON it claims, a strange query string, path id
 * or header. A seeded generator makes every run send the same requests, so a failure reproduces; to search
 * wider, run it with HOSTILE_N=1000 HOSTILE_SEED=<any number>.
 */

const CONTRACT_CODES = new Set([
  'VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN', 'WALLET_NOT_FOUND', 'TRANSACTION_NOT_FOUND', 'HOLD_NOT_FOUND',
  'NOT_FOUND', 'WALLET_ALREADY_EXISTS', 'WALLET_NOT_ACTIVE', 'INSUFFICIENT_FUNDS', 'CURRENCY_MISMATCH', 'SAME_WALLET',
  'HOLD_NOT_ACTIVE', 'AMOUNT_EXCEEDS_HOLD', 'AMOUNT_EXCEEDS_REFUNDABLE', 'TRANSACTION_NOT_REFUNDABLE',
  'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_IN_PROGRESS', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'WALLET_NOT_EMPTY',
  'BALANCE_LIMIT_EXCEEDED', 'QUOTE_NOT_FOUND', 'QUOTE_USED', 'QUOTE_EXPIRED', 'RATE_UNAVAILABLE', 'AMOUNT_NOT_CONVERTIBLE',
  // With HOSTILE_N=1000 the mangled Authorization headers are over 100 failed authentications a minute from one address.
  'RATE_LIMITED',
]);
const REQUESTS_PER_OPERATION = Number(process.env.HOSTILE_N ?? 120);
const REQUEST_TIMEOUT_MS = 10_000;

const HOSTILE_VALUES: readonly unknown[] = [
  null, true, false, 0, -0, -1, 1.5, 0.1, -2500, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 1e21, 1e308, -1e308,
  '', ' ', '1', '01', '1e3', '0x10', ' 25', '2500 ', 'NaN', 'Infinity', '-0', '١٢', 'x'.repeat(70_000 / 7),
  '\u0000', '\u202e', '😀'.repeat(40), '<script>alert(1)</script>', "'; DROP TABLE wallets; --", '%00', '../../etc/passwd',
  '00000000-0000-0000-0000-000000000000', randomUUID().toUpperCase(), `{${randomUUID()}}`, 'eur', 'EURO', 'XXX', 'ZZZ',
  '2024-02-30T00:00:00Z', '9999-12-31T23:59:59.999Z', '1969-12-31T23:59:59Z', '2024-01-01', 'yesterday',
  {}, [], [1, 2], [{}], { $gt: '' }, { amount: 5 }, { a: { b: { c: { d: 1 } } } },
];

/** Bodies no JSON.stringify produces: numbers past every range, nesting, duplicate and prototype keys, bad bytes. */
const RAW_BODIES: readonly (string | Buffer)[] = [
  '{"amount": 1e400}', '{"amount": 123456789012345678901234567890}', '{"amount": -0}', '{"amount": 25.00}',
  '{"amount": 2500, "amount": -2500}', '{"__proto__": {"polluted": true}, "amount": 2500}',
  '{"constructor": {"prototype": {"polluted": true}}, "amount": 2500}', '{"amount": 2500,}', "{'amount': 2500}",
  '{"amount": 2500', '{"amount": "2500"}', '{"amount": [2500]}', '[' .repeat(5_000) + ']'.repeat(5_000),
  '{"a":'.repeat(2_000) + '1' + '}'.repeat(2_000), '\ufeff{"amount": 2500}', '', 'null', '"amount"', '2500', 'true',
  Buffer.from([0x7b, 0x22, 0x61, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), Buffer.alloc(1_024, 0),
];
const HOSTILE_IDS = [
  'not-a-uuid', '00000000-0000-0000-0000-000000000000', `${randomUUID()}x`, `${randomUUID()}%00`, '%2e%2e%2f', 'a'.repeat(2_000),
  '%F0%9F%98%80', encodeURIComponent('😀'), '%', 'null', '-1', randomUUID(),
];
const HOSTILE_QUERY = [
  'limit=0', 'limit=-1', 'limit=1.5', 'limit=101', 'limit=1e2', 'limit=99999999999999999999', 'limit=&limit=5', 'limit[a]=1',
  'limit=5&limit=6', 'cursor=abc', 'cursor=', `cursor=${'A'.repeat(5_000)}`, 'type=bogus', 'type[]=deposit', 'status=ACTIVE',
  'order=sideways', 'from=2024-13-01T00:00:00Z', 'from=yesterday', 'to=2024-01-01', 'from=9999-01-01T00:00:00Z&to=2000-01-01T00:00:00Z',
  'at=tomorrow', 'at=2999-01-01T00:00:00Z', 'year=1999', 'year=abc', 'month=13', 'month=0', 'currency=eur', 'currency[]=EUR',
  'ownerId=', `ownerId=${'o'.repeat(600)}`, 'ownerId=%00', 'unknown=1', '%=%', 'a=%E0%A4%A',
  'year=99999999999999999999', 'month=1e1', 'year=2026.0', 'at=%2B275760-09-13T00:00:00.000Z', 'at=-271821-04-20T00:00:00.000Z',
  'from=0000-01-01T00:00:00Z', 'from=-000001-01-01T00:00:00Z', 'to=9999-12-31T23:59:59.999999999Z', 'at=2024-01-01T00:00:00%2B99:99',
  'from=2024-01-01T00:00:00.000000001Z', 'at=1e12', 'at=0',
];
const HOSTILE_HEADERS: readonly [string, string][] = [
  ['Idempotency-Key', ''], ['Idempotency-Key', ' '], ['Idempotency-Key', 'k'.repeat(300)], ['Idempotency-Key', 'cl\u00e9\u00ff'],
  ['Accept', 'text/csv'], ['Accept', 'application/xml'], ['Accept', '*/*;q=0'], ['Accept', 'garbage'],
  ['Content-Type', 'text/plain'], ['Content-Type', 'application/json; charset=utf-16'], ['Content-Type', 'application/x-www-form-urlencoded'],
  ['Content-Type', 'multipart/form-data; boundary=x'], ['Content-Type', 'application/merge-patch+json'],
  ['Authorization', 'Bearer '], ['Authorization', 'Basic dXNlcjpwYXNz'], ['Authorization', `Bearer ${'k'.repeat(5_000)}`],
  ['Content-Encoding', 'gzip'], ['Content-Encoding', 'br'], ['Content-Encoding', 'compress'], ['Content-Encoding', 'identity, gzip'],
  ['X-Request-Id', 'r'.repeat(1_000)], ['X-Request-Id', 'semi;colon,comma "quoted" \u00e9'],
];

interface Operation {
  name: string;
  method: 'get' | 'post' | 'patch' | 'put';
  path: (ids: Ids) => string;
  body?: (ids: Ids) => Record<string, unknown>;
}
interface Ids {
  wallet: string;
  other: string;
  hold: string;
  transaction: string;
  usd: string;
  quote: string;
}

const OPERATIONS: Operation[] = [
  { name: 'create wallet', method: 'post', path: () => '/v1/wallets', body: () => ({ ownerId: `hostile-${randomUUID()}`, currency: 'EUR', overdraftLimit: 0, limits: { dailyDebit: 1_000_000_000, maxBalance: null }, metadata: { tier: 'gold' } }) },
  { name: 'list wallets', method: 'get', path: () => '/v1/wallets?ownerId=hostile' },
  { name: 'get wallet', method: 'get', path: (ids) => `/v1/wallets/${ids.wallet}` },
  { name: 'update wallet', method: 'patch', path: (ids) => `/v1/wallets/${ids.other}`, body: () => ({ status: 'active', overdraftLimit: 0, limits: { monthlyDebit: 1_000_000_000 }, metadata: { note: 'x' } }) },
  { name: 'deposit', method: 'post', path: (ids) => `/v1/wallets/${ids.wallet}/deposits`, body: () => ({ amount: 25, reference: 'r', description: 'd', metadata: { k: 'v' } }) },
  { name: 'withdrawal', method: 'post', path: (ids) => `/v1/wallets/${ids.wallet}/withdrawals`, body: () => ({ amount: 5, reference: 'r' }) },
  { name: 'transfer', method: 'post', path: () => '/v1/transfers', body: (ids) => ({ fromWalletId: ids.wallet, toWalletId: ids.other, amount: 5, reference: 'r' }) },
  { name: 'refund', method: 'post', path: (ids) => `/v1/transactions/${ids.transaction}/refunds`, body: () => ({ amount: 1, reference: 'r' }) },
  { name: 'get transaction', method: 'get', path: (ids) => `/v1/transactions/${ids.transaction}` },
  { name: 'history', method: 'get', path: (ids) => `/v1/wallets/${ids.wallet}/transactions?limit=5` },
  { name: 'place hold', method: 'post', path: () => '/v1/holds', body: (ids) => ({ walletId: ids.wallet, amount: 5, expiresInSeconds: 900, reference: 'r' }) },
  { name: 'get hold', method: 'get', path: (ids) => `/v1/holds/${ids.hold}` },
  { name: 'wallet holds', method: 'get', path: (ids) => `/v1/wallets/${ids.wallet}/holds?status=active` },
  { name: 'capture', method: 'post', path: (ids) => `/v1/holds/${ids.hold}/capture`, body: (ids) => ({ amount: 1, toWalletId: ids.other }) },
  { name: 'void', method: 'post', path: (ids) => `/v1/holds/${ids.hold}/void`, body: () => ({}) },
  { name: 'batch', method: 'post', path: () => '/v1/batches', body: (ids) => ({ operations: [{ type: 'deposit', walletId: ids.wallet, amount: 10 }, { type: 'transfer', fromWalletId: ids.wallet, toWalletId: ids.other, amount: 3 }] }) },
  { name: 'statement', method: 'get', path: (ids) => `/v1/wallets/${ids.wallet}/statement?from=2024-01-01T00:00:00Z` },
  { name: 'balance at', method: 'get', path: (ids) => `/v1/wallets/${ids.wallet}/balance?at=2024-01-01T00:00:00Z` },
  { name: 'monthly report', method: 'get', path: () => '/v1/reports/monthly?year=2026&month=1&currency=EUR' },
  { name: 'wallet in another currency', method: 'get', path: (ids) => `/v1/wallets/${ids.wallet}?displayCurrency=USD` },
  { name: 'set fx rate', method: 'put', path: () => '/v1/admin/fx-rates/EUR/USD', body: () => ({ rate: '1.0842' }) },
  { name: 'list fx rates', method: 'get', path: () => '/v1/admin/fx-rates' },
  { name: 'fx quote', method: 'post', path: () => '/v1/fx-quotes', body: () => ({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 25, expiresInSeconds: 60 }) },
  { name: 'get fx quote', method: 'get', path: (ids) => `/v1/fx-quotes/${ids.quote}` },
  { name: 'conversion', method: 'post', path: () => '/v1/conversions', body: (ids) => ({ quoteId: ids.quote, fromWalletId: ids.wallet, toWalletId: ids.usd, reference: 'r' }) },
];

type Mutation = { describe: string; apply: (path: string, body: Record<string, unknown> | undefined) => { path: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } };

function mutations(random: ReturnType<typeof seededRandom>): Mutation[] {
  const replaceField = (body: Record<string, unknown>, field: string, value: unknown) => ({ ...body, [field]: value });
  return [
    {
      describe: 'a field of the wrong type or out of range',
      apply: (path, body) => {
        if (!body || Object.keys(body).length === 0) return { path, body: random.pick(HOSTILE_VALUES) };
        const field = random.pick(Object.keys(body));
        const value = random.pick(HOSTILE_VALUES);
        // Inside a batch, the hostile value lands in one operation's field.
        if (field === 'operations' && random.chance(0.7)) {
          const operations = (body.operations as Record<string, unknown>[]).map((op) => ({ ...op }));
          const target = random.pick(operations);
          target[random.pick([...Object.keys(target), 'type', 'extra'])] = value;
          return { path, body: { operations } };
        }
        return { path, body: replaceField(body, field, value) };
      },
    },
    {
      describe: 'an unknown field',
      apply: (path, body) => ({ path, body: { ...(body ?? {}), [random.pick(['isAdmin', 'balance', 'tenantId', 'id', '__proto__x', ''])]: random.pick(HOSTILE_VALUES) } }),
    },
    {
      describe: 'a field left out',
      apply: (path, body) => {
        if (!body) return { path, body: {} };
        const copy = { ...body };
        delete copy[random.pick(Object.keys(copy).length ? Object.keys(copy) : ['amount'])];
        return { path, body: copy };
      },
    },
    { describe: 'a raw body', apply: (path) => ({ path, raw: random.pick(RAW_BODIES) }) },
    { describe: 'a hostile query string', apply: (path, body) => ({ path: `${path.split('?')[0]}?${random.pick(HOSTILE_QUERY)}${random.chance(0.5) ? `&${random.pick(HOSTILE_QUERY)}` : ''}`, body }) },
    {
      describe: 'a hostile path id',
      apply: (path, body) => {
        const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
        return { path: uuid.test(path) ? path.replace(uuid, random.pick(HOSTILE_IDS)) : `${path.split('?')[0]}/${random.pick(HOSTILE_IDS)}`, body };
      },
    },
    { describe: 'a hostile header', apply: (path, body) => ({ path, body, headers: Object.fromEntries([random.pick(HOSTILE_HEADERS)]) }) },
  ];
}

describe('hostile input: never a 5xx, never a hang, never money made or lost (e2e)', () => {
  let t: TestApp;
  let ids: Ids;

  beforeAll(async () => {
    t = await startTestApp();
    const wallet = await fundedWallet(t.http, 'hostile-payer', 1_000_000);
    const other = await fundedWallet(t.http, 'hostile-payee', 1_000);
    const transfer = await t.http.post('/v1/transfers').set(AUTH).send({ fromWalletId: wallet, toWalletId: other, amount: 500 }).expect(201);
    const hold = await t.http.post('/v1/holds').set(AUTH).send({ walletId: wallet, amount: 1_000 }).expect(201);
    const usd = await fundedWallet(t.http, 1_000, { ownerId: 'hostile-usd', currency: 'USD' });
    await t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: '1.0842' }).expect(200);
    const quote = await t.http.post('/v1/fx-quotes').set(AUTH).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 25, expiresInSeconds: 600 }).expect(201);
    ids = { wallet, other, hold: hold.body.id, transaction: transfer.body.id, usd, quote: quote.body.id };
  });
  afterAll(() => t.close());

  function send(op: Operation, change: ReturnType<Mutation['apply']>): Test {
    let req = t.http[op.method](change.path).set(AUTH).timeout(REQUEST_TIMEOUT_MS);
    if (op.method !== 'get' && !('Idempotency-Key' in (change.headers ?? {}))) req = req.set('Idempotency-Key', randomUUID());
    for (const [name, value] of Object.entries(change.headers ?? {})) req = req.set(name, value);
    if (change.raw !== undefined) return req.set('Content-Type', change.headers?.['Content-Type'] ?? 'application/json').send(change.raw);
    if (change.body !== undefined) {
      // JSON.stringify by hand: supertest would send strings and numbers as form or text bodies.
      return req.set('Content-Type', change.headers?.['Content-Type'] ?? 'application/json').send(JSON.stringify(change.body));
    }
    return req;
  }

  it.each(OPERATIONS.map((op, index) => [op.name, op, index] as const))('%s', async (_, op, index) => {
    const random = seededRandom(Number(process.env.HOSTILE_SEED ?? 0x5eed) + index);
    const changes = mutations(random);
    const failures: unknown[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS_PER_OPERATION; i++) {
      const mutation = random.pick(changes);
      const change = mutation.apply(op.path(ids), op.body?.(ids));
      const res = await send(op, change);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const contentType = String(res.headers['content-type'] ?? '');
      const problem = res.status >= 400 && contentType.startsWith('application/problem+json') && CONTRACT_CODES.has(res.body?.code) && res.body?.status === res.status;
      if (res.status >= 500 || (res.status >= 400 && !problem)) {
        failures.push({ mutation: mutation.describe, path: change.path.slice(0, 200), body: JSON.stringify(change.body ?? change.raw?.toString())?.slice(0, 200), headers: change.headers, status: res.status, answer: res.text.slice(0, 300) });
      }
    }
    expect(failures).toEqual([]);
    // The requests reached the service's rules, not just the front door: some were refused as invalid.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });

  describe('what this test found, pinned (each was a 500)', () => {
    const deposit = () => t.http.post(`/v1/wallets/${ids.wallet}/deposits`).set(AUTH).set('Content-Type', 'application/json');

    it.each([
      ['a string field', { amount: 5, reference: 'a\u0000b' }, 'reference'],
      ['a metadata value', { amount: 5, metadata: { note: 'a\u0000b' } }, 'metadata.note'],
      ['a metadata key', { amount: 5, metadata: { 'a\u0000b': 'x' } }, 'metadata.a\u0000b'],
    ])('U+0000 in %s: PostgreSQL text cannot hold it, so 400 naming the field', async (_, body, field) => {
      expectProblem(await deposit().send(JSON.stringify(body)), 400, 'VALIDATION_FAILED', field);
    });

    it('U+0000 in a query parameter: 400 naming it', async () => {
      expectProblem(await t.http.get('/v1/wallets?ownerId=a%00b').set(AUTH), 400, 'VALIDATION_FAILED', 'ownerId');
    });

    it.each([
      ['arrays', '['.repeat(5_000) + ']'.repeat(5_000)],
      ['objects', '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000)],
      ['a field', `{"amount":5,"metadata":${'['.repeat(50)}${']'.repeat(50)}}`],
    ])('a body nested thousands deep (%s) with an Idempotency-Key: 400, not a stack overflow', async (_, json) => {
      const res = await deposit().set('Idempotency-Key', randomUUID()).send(json);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.detail).toMatch(/nests deeper than 16 levels|must be|should not/);
    });
  });

  it('left the books balanced and no prototype polluted', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectLedgerInvariants(t.db.pool);
    const verify = await t.http.get('/v1/admin/ledger/verify').set(ACME_AUTH).expect(200);
    expect(verify.body.ok).toBe(true);
  });
});
