import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What standardwebhooks' verify() returned, or the reason it refused. */
  verified: Record<string, any> | { error: string };
}

/**
 * A webhook receiver on a local port, as an integrator writes one: it verifies every request with the
 * `standardwebhooks` package and answers with what `answer` says (a status, or 'hang' to never answer).
 */
export async function startReceiver(answer: (received: Received, index: number) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  let secret: string | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified: Received['verified'];
      try {
        verified = new Webhook(secret ?? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(body, req.headers as Record<string, string>) as Record<string, any>;
      } catch (error) {
        verified = { error: (error as Error).message };
      }
      const entry = { headers: req.headers, body, verified };
      received.push(entry);
      const status = answer(entry, received.length - 1);
      if (status === 'hang') return; // keeps the socket open; the sender's timeout must cut it
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** The secret to verify with: the one the endpoint's creation answered. */
    useSecret(value: string) {
      secret = value;
    },
    ids: () => received.map((r) => r.headers['webhook-id'] as string),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
