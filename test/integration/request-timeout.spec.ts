import { expectProblem } from '../support/expect-problem.js';
import { waitUntilSomeoneWaits } from '../support/lock-waits.js';
import { setLogDestinationForTests } from '../../src/observability/access-log.js';
import { AUTH, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';

/**
 * REQUEST_TIMEOUT_MS (RequestTimeoutGuard): a handler that waits past it is answered 503 with Retry-After, once,
 * and what it answers or throws afterwards changes nothing and logs nothing; a handler that writes its own
 * response (the statement, JSON or CSV) is left alone. Rows and tables are held by a second connection.
 */

const TIMEOUT_MS = 300;

interface LogLine {
  level: number;
  msg?: string;
  requestId?: string;
  reqId?: string;
  status?: number;
}

describe('the request timeout', () => {
  let t: TestApp;
  const logOutput: string[] = [];
  const linesOf = (requestId: string): LogLine[] =>
    logOutput
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.requestId === requestId || line.reqId === requestId);

  beforeAll(async () => {
    // nestjs-pino keeps one logger per process, built by the first app: this one, at info, writing here.
    setLogDestinationForTests({ write: (chunk: string) => void logOutput.push(chunk) });
    t = await startTestApp({
      LOG_LEVEL: 'info',
      LOG_REQUESTS: 'true',
      DB_LOCK_TIMEOUT_MS: '60000',
      DB_STATEMENT_TIMEOUT_MS: '60000',
      REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
    });
  });
  afterAll(async () => {
    await t.close();
    setLogDestinationForTests(undefined);
  });

  it('answers 503 once; the handler finishing afterwards logs nothing more, and a retry with the key replays its move', async () => {
    const walletId = await fundedWallet(t.http, 'timeout-late', 100);
    const holder = await t.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
      const timedOut = await t.http
        .post(`/v1/wallets/${walletId}/deposits`)
        .set(AUTH)
        .set('X-Request-Id', 'timeout-late')
        .set('Idempotency-Key', 'timeout-late')
        .send({ amount: 40 });
      expectProblem(timedOut, 503, 'SERVICE_UNAVAILABLE');
      expect(timedOut.headers['retry-after']).toBe('1');
      await waitUntilSomeoneWaits(t.db.pool); // the handler is still in the database
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    // The move posts once the lock is free; the retry then gets its answer.
    let retry = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'timeout-late').send({ amount: 40 });
    for (let attempt = 0; attempt < 50 && (retry.status === 409 || retry.status === 503); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      retry = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'timeout-late').send({ amount: 40 });
    }
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotency-replayed']).toBe('true');
    // The warning and the access line of the 503, and nothing from the handler's late answer.
    const lines = linesOf('timeout-late');
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: `no answer within ${TIMEOUT_MS} ms: 503`, requestId: 'timeout-late' }),
      expect.objectContaining({ level: 50, msg: 'request failed', status: 503 }),
    ]);
  });

  it('leaves a handler that writes its own response alone: the statement answers 200 once its query can run', async () => {
    const walletId = await fundedWallet(t.http, 'timeout-statement', 100);
    const holder = await t.db.pool.connect();
    let statement: Promise<{ status: number; text: string }> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE entries IN ACCESS EXCLUSIVE MODE');
      statement = t.http
        .get(`/v1/wallets/${walletId}/statement`)
        .set(AUTH)
        .set('Accept', 'text/csv')
        .set('X-Request-Id', 'timeout-statement')
        .then((res) => ({ status: res.status, text: res.text }));
      await waitUntilSomeoneWaits(t.db.pool);
      await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    const answer = await statement!;
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('closing');
    expect(linesOf('timeout-statement').filter((line) => line.level >= 40)).toEqual([]);
  });
});
