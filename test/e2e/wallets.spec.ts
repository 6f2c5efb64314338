import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { AUTH, createWallet, OTHER_API_KEY, startTestApp, TestApp } from '../support/test-app.js';
import { expectProblem } from '../support/expect-problem.js';

/**
 * The Wallet resource over HTTP against the real app: POST/GET/PATCH /v1/wallets, GET /v1/wallets?ownerId=,
 * its exact shape, statuses, overdraft limits, metadata and idempotent creation, as the public contract states.
 */

const OTHER_AUTH = { Authorization: `Bearer ${OTHER_API_KEY}` };
const WALLET_FIELDS = [
  'available', 'balance', 'createdAt', 'currency', 'held', 'id', 'limitUsage', 'limits', 'metadata', 'overdraftLimit', 'ownerId', 'status', 'updatedAt',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;


function expectWalletShape(wallet: Record<string, unknown>): void {
  expect(Object.keys(wallet).sort()).toEqual(WALLET_FIELDS);
  expect(wallet.id).toMatch(UUID);
  expect(['active', 'frozen', 'closed']).toContain(wallet.status);
  for (const money of ['balance', 'held', 'available', 'overdraftLimit']) expect(Number.isSafeInteger(wallet[money])).toBe(true);
  expect(wallet.available).toBe((wallet.balance as number) - (wallet.held as number));
  expect(wallet.held).toBeGreaterThanOrEqual(0);
  expect(wallet.overdraftLimit).toBeGreaterThanOrEqual(0);
  expect(wallet.available as number).toBeGreaterThanOrEqual(-(wallet.overdraftLimit as number));
  expect(typeof wallet.metadata).toBe('object');
  expect(Array.isArray(wallet.metadata)).toBe(false);
  expect(Object.keys(wallet.limits as object).every((name) => ['dailyDebit', 'monthlyDebit', 'maxBalance'].includes(name))).toBe(true);
  const usage = wallet.limitUsage as Record<string, { used: number; resetsAt: string }>;
  expect(Object.keys(usage).sort()).toEqual(['dailyDebit', 'monthlyDebit']);
  for (const period of Object.values(usage)) {
    expect(Number.isSafeInteger(period.used)).toBe(true);
    expect(period.resetsAt).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
  }
  for (const stamp of ['createdAt', 'updatedAt']) {
    expect(typeof wallet[stamp]).toBe('string');
    expect(Number.isNaN(Date.parse(wallet[stamp] as string))).toBe(false);
  }
}

describe('wallets (e2e)', () => {
  let t: TestApp;
  const owner = (label: string) => `${label}-${randomUUID()}`;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const create = (body: Record<string, unknown>, headers: Record<string, string> = AUTH) => t.http.post('/v1/wallets').set(headers).send(body);
  const get = (id: string) => t.http.get(`/v1/wallets/${id}`).set(AUTH);
  const patch = (id: string, body: unknown) => t.http.patch(`/v1/wallets/${id}`).set(AUTH).send(body as object);
  const deposit = (id: string, amount: number) => t.http.post(`/v1/wallets/${id}/deposits`).set(AUTH).send({ amount });
  const withdraw = (id: string, amount: number) => t.http.post(`/v1/wallets/${id}/withdrawals`).set(AUTH).send({ amount });

  describe('POST /v1/wallets', () => {
    it('creates an empty active wallet with exactly the contract fields', async () => {
      const ownerId = owner('alice');
      const res = await create({ ownerId, currency: 'EUR' });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expectWalletShape(res.body);
      expect(res.body).toEqual(
        expect.objectContaining({ ownerId, currency: 'EUR', status: 'active', balance: 0, held: 0, available: 0, overdraftLimit: 0, limits: {}, metadata: {} }),
      );
      expect(res.body.limitUsage).toEqual({
        dailyDebit: { used: 0, resetsAt: expect.any(String) },
        monthlyDebit: { used: 0, resetsAt: expect.any(String) },
      });
      expect(res.headers['idempotency-replayed']).toBeUndefined();
    });

    it('stores overdraftLimit and metadata as given', async () => {
      const metadata = { tier: 'gold', visits: 3, vip: true, note: null };
      const res = await create({ ownerId: owner('bob'), currency: 'USD', overdraftLimit: 2500, metadata });
      expect(res.status).toBe(201);
      expectWalletShape(res.body);
      expect(res.body.overdraftLimit).toBe(2500);
      expect(res.body.metadata).toEqual(metadata);
      expect((await get(res.body.id)).body).toEqual(res.body);
    });

    it('accepts the metadata limits exactly: 50 keys, 40-character keys, 500-character strings', async () => {
      const metadata: Record<string, string> = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']));
      metadata['k'.repeat(40)] = 'x'.repeat(500);
      const res = await create({ ownerId: owner('limits'), currency: 'EUR', metadata });
      expect(res.status).toBe(201);
      expect(res.body.metadata).toEqual(metadata);
    });

    it('treats ownerId as an opaque string of 1–128 characters', async () => {
      for (const ownerId of ['x', 'o'.repeat(128), `user@example.com/${randomUUID()} ü ✓`]) {
        const res = await create({ ownerId, currency: 'EUR' });
        expect(res.status).toBe(201);
        expect(res.body.ownerId).toBe(ownerId);
      }
    });

    it('409 WALLET_ALREADY_EXISTS for a second wallet of the same owner and currency; other currencies and owners are fine', async () => {
      const ownerId = owner('dup');
      const first = await create({ ownerId, currency: 'EUR' });
      expect(first.status).toBe(201);
      expectProblem(await create({ ownerId, currency: 'EUR' }), 409, 'WALLET_ALREADY_EXISTS');
      expectProblem(await create({ ownerId, currency: 'EUR', overdraftLimit: 10 }), 409, 'WALLET_ALREADY_EXISTS');
      expect((await create({ ownerId, currency: 'USD' })).status).toBe(201);
      expect((await create({ ownerId: owner('dup-other'), currency: 'EUR' })).status).toBe(201);
      const list = await t.http.get('/v1/wallets').query({ ownerId }).set(AUTH);
      expect(list.body.data.map((w: { currency: string }) => w.currency).sort()).toEqual(['EUR', 'USD']);
    });

    const OWNER = '<unique owner>';
    it.each([
      ['ownerId missing', { currency: 'EUR' }, 'ownerId'],
      ['ownerId empty', { ownerId: '', currency: 'EUR' }, 'ownerId'],
      ['ownerId of 129 characters', { ownerId: 'o'.repeat(129), currency: 'EUR' }, 'ownerId'],
      ['ownerId a number', { ownerId: 42, currency: 'EUR' }, 'ownerId'],
      ['currency missing', { ownerId: OWNER }, 'currency'],
      ['currency lower case "eur"', { ownerId: OWNER, currency: 'eur' }, 'currency'],
      ['currency "XXX1"', { ownerId: OWNER, currency: 'XXX1' }, 'currency'],
      ['currency "ZZZ" (not ISO 4217)', { ownerId: OWNER, currency: 'ZZZ' }, 'currency'],
      ['currency "EU"', { ownerId: OWNER, currency: 'EU' }, 'currency'],
      ['overdraftLimit negative', { ownerId: OWNER, currency: 'EUR', overdraftLimit: -1 }, 'overdraftLimit'],
      ['overdraftLimit fractional', { ownerId: OWNER, currency: 'EUR', overdraftLimit: 1.5 }, 'overdraftLimit'],
      ['overdraftLimit a string', { ownerId: OWNER, currency: 'EUR', overdraftLimit: '10' }, 'overdraftLimit'],
      ['overdraftLimit 2^53', { ownerId: OWNER, currency: 'EUR', overdraftLimit: 2 ** 53 }, 'overdraftLimit'],
      ['a forbidden field: balance', { ownerId: OWNER, currency: 'EUR', balance: 1_000_000 }, 'balance'],
      ['an unknown field', { ownerId: OWNER, currency: 'EUR', colour: 'red' }, 'colour'],
    ])('400 VALIDATION_FAILED: %s', async (_, body: Record<string, unknown>, field) => {
      const ownerId = owner('bad');
      const sent = body.ownerId === OWNER ? { ...body, ownerId } : body;
      expectProblem(await create(sent), 400, 'VALIDATION_FAILED', field);
      expect((await t.http.get('/v1/wallets').query({ ownerId }).set(AUTH)).body.data).toEqual([]);
    });

    it.each([
      ['51 keys', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]))],
      ['a 41-character key', { ['k'.repeat(41)]: 1 }],
      ['a 501-character string value', { note: 'x'.repeat(501) }],
      ['a nested object', { address: { city: 'Berlin' } }],
      ['an array value', { tags: ['a', 'b'] }],
      ['an array instead of an object', ['a', 'b']],
      ['a string instead of an object', 'gold'],
      ['an empty key', { '': 1 }],
    ])('400 VALIDATION_FAILED for metadata with %s', async (_, metadata) => {
      const ownerId = owner('meta');
      expectProblem(await create({ ownerId, currency: 'EUR', metadata }), 400, 'VALIDATION_FAILED', 'metadata');
      expect((await t.http.get('/v1/wallets').query({ ownerId }).set(AUTH)).body.data).toEqual([]);
    });
  });

  describe('GET /v1/wallets/{id} and GET /v1/wallets?ownerId=', () => {
    it('returns the wallet as created', async () => {
      const created = await createWallet(t.http, { metadata: { a: 1 } });
      const res = await get(created.id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expectWalletShape(res.body);
      expect(res.body).toEqual(created);
    });

    it('404 WALLET_NOT_FOUND for an unknown id, 400 for a malformed one', async () => {
      expectProblem(await get(randomUUID()), 404, 'WALLET_NOT_FOUND');
      expectProblem(await get('not-a-uuid'), 400, 'VALIDATION_FAILED', 'id');
    });

    it("lists exactly the owner's wallets as { data: Wallet[] }", async () => {
      const ownerId = owner('lister');
      const eur = (await create({ ownerId, currency: 'EUR' })).body;
      const usd = (await create({ ownerId, currency: 'USD' })).body;
      await create({ ownerId: owner('someone-else'), currency: 'EUR' });
      const res = await t.http.get('/v1/wallets').query({ ownerId }).set(AUTH);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body)).toContain('data');
      expect(res.body.data).toHaveLength(2);
      for (const wallet of res.body.data) expectWalletShape(wallet);
      expect([...res.body.data].sort((a: { currency: string }, b: { currency: string }) => a.currency.localeCompare(b.currency))).toEqual([eur, usd]);
    });

    it('lists nothing for an owner without wallets', async () => {
      const res = await t.http.get('/v1/wallets').query({ ownerId: owner('nobody') }).set(AUTH);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ data: [] }));
    });

    it('reflects balances: available = balance − held after money moves', async () => {
      const wallet = await createWallet(t.http);
      expect((await deposit(wallet.id, 1234)).status).toBe(201);
      expect((await withdraw(wallet.id, 234)).status).toBe(201);
      const res = await get(wallet.id);
      expectWalletShape(res.body);
      expect(res.body).toEqual(expect.objectContaining({ balance: 1000, held: 0, available: 1000 }));
      const listed = await t.http.get('/v1/wallets').query({ ownerId: wallet.ownerId }).set(AUTH);
      expect(listed.body.data).toEqual([res.body]);
    });

    it.each([
      ['ownerId missing', {}],
      ['ownerId empty', { ownerId: '' }],
      ['ownerId of 129 characters', { ownerId: 'o'.repeat(129) }],
    ])('400 VALIDATION_FAILED: %s', async (_, query) => {
      expectProblem(await t.http.get('/v1/wallets').query(query).set(AUTH), 400, 'VALIDATION_FAILED', 'ownerId');
    });

    it('accepts an ownerId of exactly 128 characters', async () => {
      const ownerId = `${randomUUID()}`.padEnd(128, 'z');
      expect((await create({ ownerId, currency: 'GBP' })).status).toBe(201);
      const res = await t.http.get('/v1/wallets').query({ ownerId }).set(AUTH);
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1);
      expect(res.body.data[0].ownerId).toBe(ownerId);
    });
  });

  describe('PATCH /v1/wallets/{id}', () => {
    it('freezes and unfreezes; a frozen wallet neither pays nor receives, and keeps its balance', async () => {
      const wallet = await createWallet(t.http);
      expect((await deposit(wallet.id, 500)).status).toBe(201);
      const frozen = await patch(wallet.id, { status: 'frozen' });
      expect(frozen.status).toBe(200);
      expectWalletShape(frozen.body);
      expect(frozen.body).toEqual(expect.objectContaining({ id: wallet.id, status: 'frozen', balance: 500 }));
      expectProblem(await deposit(wallet.id, 1), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await withdraw(wallet.id, 1), 422, 'WALLET_NOT_ACTIVE');
      expect((await get(wallet.id)).body).toEqual(expect.objectContaining({ status: 'frozen', balance: 500 }));
      const active = await patch(wallet.id, { status: 'active' });
      expect(active.status).toBe(200);
      expect(active.body.status).toBe('active');
      expect((await withdraw(wallet.id, 100)).status).toBe(201);
      expect((await get(wallet.id)).body.balance).toBe(400);
    });

    it('closes an empty wallet for good: closed wallets move no money and cannot be reopened or frozen', async () => {
      const wallet = await createWallet(t.http);
      expect((await deposit(wallet.id, 300)).status).toBe(201);
      expect((await withdraw(wallet.id, 300)).status).toBe(201);
      const closed = await patch(wallet.id, { status: 'closed' });
      expect(closed.status).toBe(200);
      expectWalletShape(closed.body);
      expect(closed.body).toEqual(expect.objectContaining({ status: 'closed', balance: 0, held: 0 }));
      expectProblem(await deposit(wallet.id, 1), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await withdraw(wallet.id, 1), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await patch(wallet.id, { status: 'active' }), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await patch(wallet.id, { status: 'frozen' }), 422, 'WALLET_NOT_ACTIVE');
      expect((await get(wallet.id)).body).toEqual(expect.objectContaining({ status: 'closed', balance: 0 }));
    });

    it('422 WALLET_NOT_EMPTY when closing a wallet with money, and when closing one in overdraft', async () => {
      const rich = await createWallet(t.http);
      expect((await deposit(rich.id, 1)).status).toBe(201);
      expectProblem(await patch(rich.id, { status: 'closed' }), 422, 'WALLET_NOT_EMPTY');
      expect((await get(rich.id)).body).toEqual(expect.objectContaining({ status: 'active', balance: 1 }));

      const indebted = await createWallet(t.http, { overdraftLimit: 100 });
      expect((await withdraw(indebted.id, 40)).status).toBe(201);
      expectProblem(await patch(indebted.id, { status: 'closed' }), 422, 'WALLET_NOT_EMPTY');
      expect((await get(indebted.id)).body).toEqual(expect.objectContaining({ status: 'active', balance: -40 }));
    });

    it('raising overdraftLimit lets available go negative down to −limit, not beyond', async () => {
      const wallet = await createWallet(t.http);
      expect((await deposit(wallet.id, 100)).status).toBe(201);
      expectProblem(await withdraw(wallet.id, 101), 422, 'INSUFFICIENT_FUNDS');
      const raised = await patch(wallet.id, { overdraftLimit: 50 });
      expect(raised.status).toBe(200);
      expectWalletShape(raised.body);
      expect(raised.body.overdraftLimit).toBe(50);
      expect((await withdraw(wallet.id, 150)).status).toBe(201);
      expect((await get(wallet.id)).body).toEqual(expect.objectContaining({ balance: -50, available: -50, overdraftLimit: 50 }));
      expectProblem(await withdraw(wallet.id, 1), 422, 'INSUFFICIENT_FUNDS');
      expect((await get(wallet.id)).body.balance).toBe(-50);
    });

    it('refuses to lower overdraftLimit below what the wallet already owes', async () => {
      const wallet = await createWallet(t.http, { overdraftLimit: 100 });
      expect((await withdraw(wallet.id, 80)).status).toBe(201);
      const res = await patch(wallet.id, { overdraftLimit: 50 });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('INSUFFICIENT_FUNDS');
      expect((await get(wallet.id)).body).toEqual(expect.objectContaining({ overdraftLimit: 100, balance: -80 }));
      expect((await patch(wallet.id, { overdraftLimit: 80 })).status).toBe(200);
    });

    it('replaces metadata as a whole and bumps updatedAt, leaving other fields alone', async () => {
      const wallet = await createWallet(t.http, { metadata: { a: 1, b: 'two' } });
      const res = await patch(wallet.id, { metadata: { c: true } });
      expect(res.status).toBe(200);
      expectWalletShape(res.body);
      expect(res.body.metadata).toEqual({ c: true });
      expect(res.body).toEqual(expect.objectContaining({ id: wallet.id, ownerId: wallet.ownerId, currency: wallet.currency, status: 'active', createdAt: wallet.createdAt }));
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(wallet.updatedAt));
      expect((await get(wallet.id)).body).toEqual(res.body);
    });

    it('changes several fields at once', async () => {
      const wallet = await createWallet(t.http);
      const res = await patch(wallet.id, { status: 'frozen', overdraftLimit: 10, metadata: { reason: 'chargeback' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ status: 'frozen', overdraftLimit: 10, metadata: { reason: 'chargeback' } }));
    });

    it('404 WALLET_NOT_FOUND for an unknown wallet, 400 for a malformed id', async () => {
      expectProblem(await patch(randomUUID(), { status: 'frozen' }), 404, 'WALLET_NOT_FOUND');
      expectProblem(await patch('123', { status: 'frozen' }), 400, 'VALIDATION_FAILED', 'id');
    });

    it.each([
      ['an unknown status', { status: 'deleted' }, 'status'],
      ['status null', { status: null }, 'status'],
      ['overdraftLimit negative', { overdraftLimit: -5 }, 'overdraftLimit'],
      ['overdraftLimit fractional', { overdraftLimit: 0.5 }, 'overdraftLimit'],
      ['overdraftLimit a string', { overdraftLimit: '5' }, 'overdraftLimit'],
      ['overdraftLimit null', { overdraftLimit: null }, 'overdraftLimit'],
      ['metadata null', { metadata: null }, 'metadata'],
      ['metadata with 51 keys', { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, 'metadata'],
      ['metadata with a 41-character key', { metadata: { ['k'.repeat(41)]: 1 } }, 'metadata'],
      ['metadata with a 501-character string', { metadata: { k: 'x'.repeat(501) } }, 'metadata'],
      ['metadata with a nested object', { metadata: { k: { n: 1 } } }, 'metadata'],
      ['metadata as an array', { metadata: [1, 2] }, 'metadata'],
      ['a field that cannot change: ownerId', { ownerId: 'thief' }, 'ownerId'],
      ['a field that cannot change: currency', { currency: 'USD' }, 'currency'],
      ['a field that cannot change: balance', { balance: 1_000_000 }, 'balance'],
    ])('400 VALIDATION_FAILED for %s, and the wallet is unchanged', async (_, body, field) => {
      const wallet = await createWallet(t.http, { metadata: { keep: 'me' } });
      expectProblem(await patch(wallet.id, body), 400, 'VALIDATION_FAILED', field);
      expect((await get(wallet.id)).body).toEqual(wallet);
    });
  });

  describe('idempotent creation', () => {
    it('the same Idempotency-Key and body replays the 201 and creates one wallet', async () => {
      const ownerId = owner('idem');
      const key = randomUUID();
      const first = await create({ ownerId, currency: 'EUR', metadata: { a: 1 } }).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      expect(first.headers['idempotency-replayed']).toBeUndefined();
      const again = await create({ ownerId, currency: 'EUR', metadata: { a: 1 } }).set('Idempotency-Key', key);
      expect(again.status).toBe(201);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const list = await t.http.get('/v1/wallets').query({ ownerId }).set(AUTH);
      expect(list.body.data).toHaveLength(1);
      expect(list.body.data[0].id).toBe(first.body.id);
    });

    it('the same key with a different body → 422 IDEMPOTENCY_KEY_REUSED, and nothing is created', async () => {
      const key = randomUUID();
      const ownerId = owner('idem-reuse');
      expect((await create({ ownerId, currency: 'EUR' }).set('Idempotency-Key', key)).status).toBe(201);
      expectProblem(await create({ ownerId, currency: 'USD' }).set('Idempotency-Key', key), 422, 'IDEMPOTENCY_KEY_REUSED');
      const list = await t.http.get('/v1/wallets').query({ ownerId }).set(AUTH);
      expect(list.body.data.map((w: { currency: string }) => w.currency)).toEqual(['EUR']);
    });

    it('a refusal is replayed as the same refusal', async () => {
      const ownerId = owner('idem-refusal');
      expect((await create({ ownerId, currency: 'EUR' })).status).toBe(201);
      const key = randomUUID();
      const first = await create({ ownerId, currency: 'EUR' }).set('Idempotency-Key', key);
      expectProblem(first, 409, 'WALLET_ALREADY_EXISTS');
      const again = await create({ ownerId, currency: 'EUR' }).set('Idempotency-Key', key);
      expectProblem(again, 409, 'WALLET_ALREADY_EXISTS');
      expect(again.body).toEqual(first.body);
      expect([first.headers['idempotency-replayed'], again.headers['idempotency-replayed']]).toEqual([undefined, 'true']);
    });

    it('keys are scoped per API key: the same key under another API key is an independent request', async () => {
      const key = randomUUID();
      const ownerId = owner('scoped');
      const mine = await create({ ownerId, currency: 'EUR' }).set('Idempotency-Key', key);
      expect(mine.status).toBe(201);
      // Same key, same body, other API key: not a replay of the first key's answer, so the duplicate is refused.
      const theirs = await create({ ownerId, currency: 'EUR' }, OTHER_AUTH).set('Idempotency-Key', key);
      expectProblem(theirs, 409, 'WALLET_ALREADY_EXISTS');
      expect(theirs.headers['idempotency-replayed']).toBeUndefined();
      // Same key, different body, other API key: not IDEMPOTENCY_KEY_REUSED, a fresh creation.
      const otherOwner = owner('scoped-2');
      const fresh = await create({ ownerId: otherOwner, currency: 'EUR' }, OTHER_AUTH).set('Idempotency-Key', `${key}-2`);
      expect(fresh.status).toBe(201);
      const crossed = await create({ ownerId: otherOwner, currency: 'USD' }).set('Idempotency-Key', `${key}-2`);
      expect(crossed.status).toBe(201);
      expect(crossed.headers['idempotency-replayed']).toBeUndefined();
      expect(crossed.body.currency).toBe('USD');
    });
  });
});
