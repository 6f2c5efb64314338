import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, sendWebhook, type DeliveryAttempt } from './webhook-sender.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Receiver {
  baseUrl: string;
  port: number;
  received: Received[];
  connections: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records every request and answers with `handle`. */
async function startReceiver(handle: (request: Received, response: ServerResponse) => void): Promise<Receiver> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = { path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      receiver.received.push(received);
      handle(received, response);
    });
  });
  server.on('connection', () => receiver.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    received: [],
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

describe('sendWebhook', () => {
  const secret = newWebhookSecret();
  const secretKey = secret.slice('whsec_'.length);
  const body = JSON.stringify({ type: 'wallet.credited', data: { walletId: 'w_1', amountMinor: 2500 } });
  let receivers: Receiver[] = [];

  const receiver = async (handle: (request: Received, response: ServerResponse) => void) => {
    const started = await startReceiver(handle);
    receivers.push(started);
    return started;
  };
  const send = (url: string, overrides: Partial<Parameters<typeof sendWebhook>[0]> = {}) =>
    sendWebhook({ url, secret, messageId: 'msg_01J0TEST', body, timestampSeconds: Math.floor(Date.now() / 1000), timeoutMs: 5_000, allowPrivate: true, ...overrides });
  const expectNoSecret = (attempt: DeliveryAttempt) => {
    expect(attempt.error ?? '').not.toContain(secret);
    expect(attempt.error ?? '').not.toContain(secretKey);
  };

  afterEach(async () => {
    await Promise.all(receivers.map((started) => started.close()));
    receivers = [];
  });

  it('issues Standard Webhooks secrets', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secretKey, 'base64')).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('delivers a POST the receiver can verify with standardwebhooks', async () => {
    const target = await receiver((_, response) => response.writeHead(204).end());
    const attempt = await send(`${target.baseUrl}/hooks/in`);

    expect(attempt).toEqual({ statusCode: 204, error: null, durationMs: expect.any(Number), delivered: true });
    expect(target.received).toHaveLength(1);
    const [request] = target.received;
    expect(request.path).toBe('/hooks/in');
    expect(request.body).toBe(body);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('wallet-service-webhooks/1');
    expect(request.headers['webhook-id']).toBe('msg_01J0TEST');
    expect(() => new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(request.body, request.headers as Record<string, string>)).toThrow();
  });

  it('counts any 2xx as delivered and reads a large answer only up to its limit', async () => {
    // An answer that never ends: the attempt must stop reading, not wait for the timeout.
    const target = await receiver((_, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    const attempt = await send(target.baseUrl, { timeoutMs: 20_000 });
    expect(attempt).toMatchObject({ statusCode: 200, error: null, delivered: true });
  });

  it('records a 500 as a failed attempt', async () => {
    const target = await receiver((_, response) => response.writeHead(500).end('boom'));
    const attempt = await send(target.baseUrl);
    expect(attempt).toMatchObject({ statusCode: 500, error: 'HTTP 500', delivered: false });
    expectNoSecret(attempt);
  });

  it('does not follow a redirect', async () => {
    const target = await receiver((request, response) => {
      if (request.path === '/moved') response.writeHead(302, { location: `http://127.0.0.1:${target.port}/elsewhere` }).end();
      else response.writeHead(204).end();
    });
    const attempt = await send(`${target.baseUrl}/moved`);
    expect(attempt).toMatchObject({ statusCode: 302, error: 'HTTP 302', delivered: false });
    expect(target.received.map((request) => request.path)).toEqual(['/moved']);
  });

  it('gives up on a receiver that never answers', async () => {
    const target = await receiver(() => undefined);
    const attempt = await send(target.baseUrl, { timeoutMs: 300 });
    expect(attempt).toMatchObject({ statusCode: null, error: 'timed out after 300 ms', delivered: false });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(250);
    expect(attempt.durationMs).toBeLessThan(10_000);
    expect(target.received).toHaveLength(1);
  });

  it('gives up on an answer whose body never ends, keeping its status', async () => {
    const target = await receiver((_, response) => {
      response.writeHead(200);
      response.write('partial');
    });
    const attempt = await send(target.baseUrl, { timeoutMs: 300 });
    expect(attempt).toMatchObject({ statusCode: 200, error: 'timed out after 300 ms', delivered: false });
  });

  it('reports a closed port as ECONNREFUSED', async () => {
    const target = await startReceiver(() => undefined);
    await target.close();
    const attempt = await send(target.baseUrl);
    expect(attempt).toMatchObject({ statusCode: null, delivered: false });
    expect(attempt.error).toMatch(/ECONNREFUSED/);
    expectNoSecret(attempt);
  });

  it('without allowPrivate refuses a loopback literal before connecting', async () => {
    const target = await receiver((_, response) => response.writeHead(204).end());
    const attempt = await send(target.baseUrl, { allowPrivate: false });
    expect(attempt).toMatchObject({ statusCode: null, error: 'refused: 127.0.0.1 is a loopback address', delivered: false });
    expect(target.connections).toBe(0);
    expectNoSecret(attempt);
  });

  it('without allowPrivate refuses a name that resolves to loopback, at connect time', async () => {
    const target = await receiver((_, response) => response.writeHead(204).end());
    const attempt = await send(`http://localhost:${target.port}/`, { allowPrivate: false });
    expect(attempt).toMatchObject({ statusCode: null, delivered: false });
    expect(attempt.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
    expect(target.connections).toBe(0);
  });

  it('reaches a receiver by name with allowPrivate', async () => {
    const target = await receiver((_, response) => response.writeHead(200).end('ok'));
    const attempt = await send(`http://localhost:${target.port}/`);
    expect(attempt).toMatchObject({ statusCode: 200, delivered: true });
  });

  it('turns bad input into a failed attempt instead of throwing', async () => {
    for (const [url, overrides, error] of [
      ['not a url', {}, 'invalid URL'],
      ['ftp://127.0.0.1/', {}, 'unsupported protocol'],
      ['http://127.0.0.1:1/', { secret: 'whsec_!!!not-base64!!!' }, 'could not sign: invalid secret'],
      ['http://127.0.0.1:1/', { timeoutMs: 0 }, 'invalid timeoutMs'],
    ] as const) {
      const attempt = await send(url, overrides);
      expect(attempt).toMatchObject({ statusCode: null, error, delivered: false });
    }
  });
});
