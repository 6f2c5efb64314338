import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitUntilSomeoneWaits } from '../support/lock-waits.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';
import { freePort } from '../bench/service-process.js';

const SERVICE_ENTRY = 'dist/src/main.js';
const KEY = 'shutdown-secret-key';

async function waitForReady(base: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('service never became ready');
}

/** The production build as operators run it: a real process, a real SIGTERM. `npm test` builds first. */
describe('graceful shutdown', () => {
  let db: TestDatabase;
  let child: ChildProcess;

  beforeAll(async () => {
    if (!existsSync(SERVICE_ENTRY)) throw new Error(`${SERVICE_ENTRY} is missing: run npm run build (npm test does)`);
    db = await createTestDatabase();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await db.drop();
  });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [SERVICE_ENTRY], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: db.url, API_KEYS: `shop:${KEY}`, LOG_LEVEL: 'warn', NODE_ENV: 'test' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitForReady(base);
    const headers = { Authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const wallet = await (await fetch(`${base}/v1/wallets`, { method: 'POST', headers, body: JSON.stringify({ ownerId: "drain", currency: "EUR" }) })).json() as { id: string };

    // Hold the wallet's row lock so the deposit is provably in flight when SIGTERM arrives.
    const holder = await db.pool.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [wallet.id]);
    const deposit = fetch(`${base}/v1/wallets/${wallet.id}/deposits`, { method: 'POST', headers, body: JSON.stringify({ amount: 700 }) });
    await waitUntilSomeoneWaits(db.pool);
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await holder.query('COMMIT');
    holder.release();

    const reply = await deposit;
    expect(reply.status).toBe(201);
    expect(await exited).toBe(0);
    const { rows } = await db.pool.query('SELECT balance FROM wallets WHERE id = $1', [wallet.id]);
    expect(rows[0].balance).toBe('700');
  });
});
