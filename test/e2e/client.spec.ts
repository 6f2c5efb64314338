import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWalletClient, getStatement, idempotent, newIdempotencyKey, type Problem, type WalletClient } from '../../src/client/wallet-client.js';
import { API_KEY, startTestApp, TestApp } from '../support/test-app.js';

/**
 * The typed client (src/client) against the running service: an order end to end — wallets, top-up, hold,
 * capture to the seller, partial refund, statement — with every call and answer typed from docs/openapi.json,
 * and refusals returned as typed problem+json.
 */
describe('typed wallet client (e2e)', () => {
  let t: TestApp;
  let wallets: WalletClient;

  beforeAll(async () => {
    t = await startTestApp();
    const { port } = (t.app.getHttpServer() as Server).address() as AddressInfo;
    wallets = createWalletClient({ baseUrl: `http://127.0.0.1:${port}/`, apiKey: API_KEY });
  });
  afterAll(() => t.close());

  /** The success body, failing the test with the problem when there is none. */
  const ok = <T>(result: { data?: T; error?: unknown; response: Response }): T => {
    if (result.data === undefined) throw new Error(`${result.response.status}: ${JSON.stringify(result.error)}`);
    return result.data;
  };

  it('runs an order: create wallets, deposit, hold, capture, refund, statement', async () => {
    const buyer = ok(await wallets.POST('/v1/wallets', { body: { ownerId: 'client-buyer', currency: 'EUR', metadata: { tier: 'gold' } } }));
    const seller = ok(await wallets.POST('/v1/wallets', { body: { ownerId: 'client-seller', currency: 'EUR' } }));
    expect(buyer).toEqual(expect.objectContaining({ ownerId: 'client-buyer', currency: 'EUR', status: 'active', balance: 0, metadata: { tier: 'gold' } }));

    const topUpKey = newIdempotencyKey();
    const topUp = () =>
      wallets.POST('/v1/wallets/{id}/deposits', { params: { path: { id: buyer.id }, header: idempotent(topUpKey) }, body: { amount: 10_000, reference: 'card-7731' } });
    const deposit = ok(await topUp());
    expect(deposit).toEqual(expect.objectContaining({ type: 'deposit', status: 'posted', amount: 10_000, walletId: buyer.id }));
    // a retry with the same key is answered from the first attempt, and moves nothing
    const replay = await topUp();
    expect(replay.response.status).toBe(201);
    expect(replay.response.headers.get('Idempotency-Replayed')).toBe('true');
    expect(ok(replay).id).toBe(deposit.id);

    const hold = ok(
      await wallets.POST('/v1/holds', {
        params: { header: idempotent('client-order-1042-hold') },
        body: { walletId: buyer.id, amount: 4_990, expiresInSeconds: 900, reference: 'client-seller:order-1042' },
      }),
    );
    expect(hold).toEqual(expect.objectContaining({ walletId: buyer.id, amount: 4_990, capturedAmount: 0, status: 'active' }));
    const reserved = ok(await wallets.GET('/v1/wallets/{id}', { params: { path: { id: buyer.id } } }));
    expect({ balance: reserved.balance, held: reserved.held, available: reserved.available }).toEqual({ balance: 10_000, held: 4_990, available: 5_010 });

    const capture = ok(
      await wallets.POST('/v1/holds/{id}/capture', {
        params: { path: { id: hold.id }, header: idempotent('client-order-1042-capture') },
        body: { amount: 3_990, toWalletId: seller.id },
      }),
    );
    expect(capture).toEqual(expect.objectContaining({ type: 'capture', amount: 3_990, holdId: hold.id }));

    const refund = ok(
      await wallets.POST('/v1/transactions/{id}/refunds', {
        params: { path: { id: capture.id }, header: idempotent('client-order-1042-refund-1') },
        body: { amount: 1_500 },
      }),
    );
    expect(refund).toEqual(expect.objectContaining({ type: 'refund', amount: 1_500, refundOf: capture.id }));
    expect(ok(await wallets.GET('/v1/transactions/{id}', { params: { path: { id: capture.id } } })).refundedAmount).toBe(1_500);

    const after = ok(await wallets.GET('/v1/wallets/{id}', { params: { path: { id: buyer.id } } }));
    expect({ balance: after.balance, held: after.held, available: after.available }).toEqual({ balance: 7_510, held: 0, available: 7_510 });
    const sellerAfter = ok(await wallets.GET('/v1/wallets/{id}', { params: { path: { id: seller.id } } }));
    expect(sellerAfter.balance).toBe(2_490);

    const history = ok(await wallets.GET('/v1/wallets/{id}/transactions', { params: { path: { id: buyer.id }, query: { limit: 10, order: 'asc' } } }));
    expect(history.data.map((tx) => tx.type)).toEqual(['deposit', 'capture', 'refund']);
    expect(history.nextCursor).toBeNull();

    const statement = ok(await getStatement(wallets, buyer.id));
    expect(statement).toEqual(expect.objectContaining({ walletId: buyer.id, currency: 'EUR', openingBalance: 0, closingBalance: 7_510 }));
    expect(statement.entries.map((entry) => entry.amount)).toEqual([10_000, -3_990, 1_500]);
    expect(statement.entries.at(-1)?.balanceAfter).toBe(7_510);

    const listed = ok(await wallets.GET('/v1/wallets', { params: { query: { ownerId: 'client-buyer' } } }));
    expect(listed.data.map((wallet) => wallet.id)).toEqual([buyer.id]);
  });

  it('returns refusals as typed problem+json', async () => {
    const poor = ok(await wallets.POST('/v1/wallets', { body: { ownerId: 'client-poor', currency: 'EUR' } }));
    const { data, error, response } = await wallets.POST('/v1/wallets/{id}/withdrawals', { params: { path: { id: poor.id } }, body: { amount: 100 } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem: Problem | undefined = error;
    expect(problem).toEqual(expect.objectContaining({ status: 422, code: 'INSUFFICIENT_FUNDS', title: expect.any(String), detail: expect.any(String) }));

    const missing = await wallets.GET('/v1/wallets/{id}', { params: { path: { id: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.code).toBe('WALLET_NOT_FOUND');

    const invalid = await wallets.POST('/v1/wallets', { body: { ownerId: 'client-bad', currency: 'eur' } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error?.code).toBe('VALIDATION_FAILED');
    expect(invalid.error?.errors?.map((e) => e.field)).toContain('currency');
  });

  it('sends the API key: a wrong one is refused with 401 UNAUTHORIZED', async () => {
    const { port } = (t.app.getHttpServer() as Server).address() as AddressInfo;
    const stranger = createWalletClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'not-a-key' });
    const { error, response } = await stranger.GET('/v1/wallets', { params: { query: { ownerId: 'client-buyer' } } });
    expect(response.status).toBe(401);
    expect(error?.code).toBe('UNAUTHORIZED');
  });

  it('refuses an Idempotency-Key the service would refuse', () => {
    expect(() => idempotent('')).toThrow(RangeError);
    expect(() => idempotent('k'.repeat(256))).toThrow(RangeError);
    expect(idempotent('k'.repeat(255))['Idempotency-Key']).toHaveLength(255);
  });
});
