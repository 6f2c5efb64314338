import { Webhook } from 'standardwebhooks';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { expectProblem } from '../support/expect-problem.js';
import { eventually } from '../support/group-posting.js';
import { AUTH, fundedWallet, newWallet, READER_AUTH, startTestApp, type TestApp } from '../support/test-app.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

/**
 * Webhook endpoints and deliveries through the real HTTP stack, to real local receivers that verify every
 * request with the `standardwebhooks` package, as an integrator's receiver would.
 */
describe('webhooks', () => {
  let t: TestApp;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '20',
      WEBHOOK_RETRY_BASE_MS: '30',
      WEBHOOK_TIMEOUT_MS: '400',
      WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT: '2',
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  async function receiver(answer?: Parameters<typeof startReceiver>[0]) {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  }

  /** A new endpoint for `r` (all types unless given); the receiver verifies with its secret. */
  async function endpointFor(r: Receiver, extra: Record<string, unknown> = {}) {
    const res = await t.http.post('/v1/webhook-endpoints').set(AUTH).send({ url: r.url, ...extra }).expect(201);
    r.useSecret(res.body.secret);
    return res.body as Record<string, any>;
  }

  async function eventsAfter(after: number) {
    return (await t.http.get('/v1/events').query({ after, limit: 100 }).set(AUTH).expect(200)).body.data as Record<string, any>[];
  }
  const lastSequence = async () => {
    let after = 0;
    for (;;) {
      const page = await eventsAfter(after);
      if (page.length === 0) return after;
      after = page.at(-1)!.sequence;
    }
  };

  it('creates an endpoint with a secret shown once; lists, reads, changes and deletes it', async () => {
    const r = await receiver();
    const created = await endpointFor(r, { eventTypes: ['transaction.posted'], description: 'orders' });
    expect(created).toMatchObject({ url: r.url, eventTypes: ['transaction.posted'], status: 'enabled', description: 'orders' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(24);
    const read = await t.http.get(`/v1/webhook-endpoints/${created.id}`).set(AUTH).expect(200);
    expect(read.body.secret).toBeUndefined();
    const list = await t.http.get('/v1/webhook-endpoints').set(AUTH).expect(200);
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(created.id);
    expect(list.body.data.every((e: { secret?: string }) => e.secret === undefined)).toBe(true);
    const patched = await t.http.patch(`/v1/webhook-endpoints/${created.id}`).set(AUTH).send({ eventTypes: [], status: 'disabled' }).expect(200);
    expect(patched.body).toMatchObject({ eventTypes: [], status: 'disabled' });
    await t.http.delete(`/v1/webhook-endpoints/${created.id}`).set(AUTH).expect(204);
    expectProblem(await t.http.get(`/v1/webhook-endpoints/${created.id}`).set(AUTH), 404, 'WEBHOOK_ENDPOINT_NOT_FOUND');
    expectProblem(await t.http.delete(`/v1/webhook-endpoints/${created.id}`).set(AUTH), 404, 'WEBHOOK_ENDPOINT_NOT_FOUND');
    expectProblem(await t.http.post('/v1/webhook-endpoints').set(READER_AUTH).send({ url: r.url }), 403, 'FORBIDDEN');
  });

  it.each([
    ['no url', {}],
    ['an ftp url', { url: 'ftp://example.com/x' }],
    ['a url that is no url', { url: 'not a url' }],
    ['an unknown event type', { url: 'https://example.com/x', eventTypes: ['wallet.deleted'] }],
    ['a repeated event type', { url: 'https://example.com/x', eventTypes: ['hold.created', 'hold.created'] }],
    ['an unknown field', { url: 'https://example.com/x', secret: 'whsec_mine' }],
    ['a null description', { url: 'https://example.com/x', description: null }],
  ])('refuses %s with 400', async (_, body) => {
    expectProblem(await t.http.post('/v1/webhook-endpoints').set(AUTH).send(body), 400, 'VALIDATION_FAILED');
  });

  it('delivers every event signed by the Standard Webhooks scheme, the body being the event as the feed shows it', async () => {
    const r = await receiver();
    const endpoint = await endpointFor(r);
    const start = await lastSequence();
    const wallet = await fundedWallet(t.http, 700);
    await t.http.post('/v1/holds').set(AUTH).send({ walletId: wallet, amount: 100 }).expect(201);
    const events = await eventsAfter(start);
    expect(events.map((e) => e.type)).toEqual(['wallet.created', 'transaction.posted', 'hold.created']);
    await eventually('three deliveries', () => r.received.length >= 3);

    expect(r.received).toHaveLength(3);
    const byId = new Map(r.received.map((x) => [x.headers['webhook-id'], x]));
    for (const event of events) {
      const got = byId.get(event.id)!;
      expect(got.verified).toEqual(event);
      expect(JSON.parse(got.body)).toEqual(event);
      expect(got.headers['content-type']).toBe('application/json');
      expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
    // a receiver with another secret refuses the same request
    const forged = r.received[0]!;
    expect(() => new Webhook('whsec_' + Buffer.alloc(24, 7).toString('base64')).verify(forged.body, forged.headers as Record<string, string>)).toThrow();
    const deliveries = await t.http.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(AUTH).expect(200);
    expect(deliveries.body.data.map((d: any) => [d.eventSequence, d.status, d.attempts])).toEqual(
      [...events].reverse().map((e) => [e.sequence, 'delivered', 1]),
    );
    await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(AUTH).expect(204);
  });

  it('a receiver that fails the first attempts gets them again with the same webhook-id, every attempt recorded', async () => {
    const statuses = [500, 503];
    const r = await receiver((_, index) => statuses[index] ?? 204);
    const endpoint = await endpointFor(r, { eventTypes: ['transaction.posted'] });
    const wallet = await newWallet(t.http);
    const deposit = await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 5 }).expect(201);
    await eventually('the third attempt', () => r.received.length >= 3);
    await t.app.get(WebhookDispatcher).settle();

    const ids = r.ids();
    expect(new Set(ids).size).toBe(1);
    expect(r.received.every((x) => !('error' in x.verified) && (x.verified as any).data.transaction.id === deposit.body.id)).toBe(true);
    await eventually('recorded as delivered', async () => {
      const page = await t.http.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(AUTH).expect(200);
      return page.body.data[0]?.status === 'delivered';
    });
    const [delivery] = (await t.http.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(AUTH).expect(200)).body.data;
    expect(delivery).toMatchObject({ eventId: ids[0], status: 'delivered', attempts: 3 });
    expect(delivery.attemptLog.map((a: any) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 503, 'HTTP 503'],
      [3, 204, undefined],
    ]);
    expect(delivery.attemptLog.every((a: any) => a.durationMs >= 0)).toBe(true);
    await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(AUTH).expect(204);
  });

  it('sends only the event types asked for', async () => {
    const r = await receiver();
    const endpoint = await endpointFor(r, { eventTypes: ['hold.created', 'hold.voided'] });
    const wallet = await fundedWallet(t.http, 100);
    const hold = await t.http.post('/v1/holds').set(AUTH).send({ walletId: wallet, amount: 10 }).expect(201);
    await t.http.post(`/v1/holds/${hold.body.id}/void`).set(AUTH).expect(200);
    await eventually('two deliveries', () => r.received.length >= 2);
    await t.app.get(WebhookDispatcher).settle();
    expect(r.received.map((x) => (x.verified as any).type)).toEqual(expect.arrayContaining(['hold.created', 'hold.voided']));
    expect(r.received).toHaveLength(2);
    await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(AUTH).expect(204);
  });

  it('a disabled endpoint gets nothing new; enabled again it gets what commits from then on, and resend sends what it missed', async () => {
    const r = await receiver();
    const endpoint = await endpointFor(r, { eventTypes: ['transaction.posted'] });
    const wallet = await newWallet(t.http);
    await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 1 }).expect(201);
    await eventually('the first delivery', () => r.received.length === 1);
    await t.http.patch(`/v1/webhook-endpoints/${endpoint.id}`).set(AUTH).send({ status: 'disabled' }).expect(200);
    const beforeMissed = await lastSequence();
    const missed = await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 2 }).expect(201);
    // rounds pass with the endpoint disabled: nothing is sent
    const dispatcher = t.app.get(WebhookDispatcher);
    for (let i = 0; i < 5; i++) await dispatcher.tick();
    await dispatcher.settle();
    expect(r.received).toHaveLength(1);

    await t.http.patch(`/v1/webhook-endpoints/${endpoint.id}`).set(AUTH).send({ status: 'enabled' }).expect(200);
    const after = await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 3 }).expect(201);
    await eventually('the delivery after re-enabling', () => r.received.length === 2);
    expect((r.received[1]!.verified as any).data.transaction.id).toBe(after.body.id);

    const resent = await t.http.post(`/v1/webhook-endpoints/${endpoint.id}/resend`).set(AUTH).send({ after: beforeMissed }).expect(200);
    expect(resent.body.scheduled).toBe(2);
    await eventually('the missed and the re-sent', () => r.received.length === 4);
    await dispatcher.settle();
    const transactionIds = r.received.slice(2).map((x) => (x.verified as any).data.transaction.id);
    expect(transactionIds.sort()).toEqual([missed.body.id, after.body.id].sort());
    // a re-sent event carries its webhook-id again
    expect(r.ids().filter((id) => id === r.ids()[1])).toHaveLength(2);
    expectProblem(await t.http.post(`/v1/webhook-endpoints/${endpoint.id}/resend`).set(AUTH).send({ after: -1 }), 400, 'VALIDATION_FAILED', 'after');
    await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(AUTH).expect(204);
  });

  it('a receiver that hangs holds only its own slots: another endpoint is still served, and the hanging attempts time out', async () => {
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const slow = await endpointFor(hanging, { eventTypes: ['transaction.posted'] });
    const fine = await endpointFor(healthy, { eventTypes: ['transaction.posted'] });
    const wallet = await newWallet(t.http);
    for (let i = 0; i < 6; i++) await t.http.post(`/v1/wallets/${wallet}/deposits`).set(AUTH).send({ amount: 1 }).expect(201);
    await eventually('the healthy receiver has all six', () => healthy.received.length >= 6);
    // at most WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT (2) open at once on the hanging one
    expect(hanging.received.length).toBeLessThanOrEqual(6);
    await eventually('timed-out attempts recorded', async () => {
      const page = await t.http.get(`/v1/webhook-endpoints/${slow.id}/deliveries`).set(AUTH).expect(200);
      return page.body.data.some((d: any) => d.attemptLog.some((a: any) => /timed out after 400 ms/.test(a.error ?? '')));
    });
    await t.http.patch(`/v1/webhook-endpoints/${slow.id}`).set(AUTH).send({ status: 'disabled' }).expect(200);
    await t.http.delete(`/v1/webhook-endpoints/${fine.id}`).set(AUTH).expect(204);
  });

  it('metrics: attempts by outcome, retries and the oldest undelivered event per endpoint', async () => {
    const endpoint = await endpointFor(await receiver(() => 500), { eventTypes: ['wallet.created'] });
    await newWallet(t.http);
    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/wallet_webhook_attempts_total\{outcome="delivered"\} [1-9]/);
    expect(metrics.text).toMatch(/wallet_webhook_attempts_total\{outcome="failed"\} [1-9]/);
    expect(metrics.text).toMatch(/wallet_webhook_retries_total [1-9]/);
    expect(metrics.text).toMatch(new RegExp(`wallet_webhook_oldest_undelivered_seconds\\{endpoint="${endpoint.id}"\\} \\d`));
    await t.http.delete(`/v1/webhook-endpoints/${endpoint.id}`).set(AUTH).expect(204);
  });
});

describe('webhook URLs that reach inside (server-side request forgery)', () => {
  let t: TestApp;
  let inside: Receiver;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_POLL_INTERVAL_MS: '20', WEBHOOK_RETRY_BASE_MS: '30', WEBHOOK_TIMEOUT_MS: '400' });
    inside = await startReceiver();
  });
  afterAll(async () => {
    await t.close();
    await inside.close();
  });

  it.each([
    ['loopback', 'http://127.0.0.1:8080/hook'],
    ['loopback by name', 'http://localhost/hook'],
    ['IPv6 loopback', 'http://[::1]/hook'],
    ['private', 'http://10.1.2.3/hook'],
    ['private 192.168', 'https://192.168.0.10/hook'],
    ['link-local (cloud metadata)', 'http://169.254.169.254/latest/meta-data'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/hook'],
  ])('refuses a %s URL with 400 on create and on update', async (_, url) => {
    expectProblem(await t.http.post('/v1/webhook-endpoints').set(AUTH).send({ url }), 400, 'VALIDATION_FAILED', 'url');
  });

  it('refuses a private URL on update too, and checks the address again at delivery time', async () => {
    const created = await t.http.post('/v1/webhook-endpoints').set(AUTH).send({ url: 'https://93.184.216.34/hook', eventTypes: ['wallet.created'] }).expect(201);
    expectProblem(await t.http.patch(`/v1/webhook-endpoints/${created.body.id}`).set(AUTH).send({ url: inside.url }), 400, 'VALIDATION_FAILED', 'url');
    // The address a name resolves to can change after the check (DNS rebinding); stand-in: the row points inside.
    await t.db.pool.query(`UPDATE webhook_endpoints SET url = $1 WHERE id = $2`, [inside.url, created.body.id]);
    await newWallet(t.http);
    await eventually('the refused attempt is recorded', async () => {
      const page = await t.http.get(`/v1/webhook-endpoints/${created.body.id}/deliveries`).set(AUTH).expect(200);
      return page.body.data[0]?.attemptLog.length > 0;
    });
    const page = await t.http.get(`/v1/webhook-endpoints/${created.body.id}/deliveries`).set(AUTH).expect(200);
    expect(page.body.data[0].attemptLog[0].error).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);
    expect(inside.received).toHaveLength(0);
  });
});
