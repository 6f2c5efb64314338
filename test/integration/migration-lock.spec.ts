import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { ENTITIES } from '../../src/entities.js';
import { MIGRATION_LOCK_KEY, runMigrationsExclusively } from '../../src/database/run-migrations.js';
import { withDatabase } from '../support/postgres-server.js';

/**
 * Replicas booting together, or a rollout racing the migration Job, all find the same migrations pending.
 * Each must be applied once: the first runner applies them, the others wait and find nothing to do.
 */
describe('applying migrations from several processes at once', () => {
  const serverUrl = process.env.TEST_SERVER_URL!;
  const created: string[] = [];
  const dataSources: DataSource[] = [];
  // Runners that find the lock taken say so in the log; kept out of the test output, and looked at below.
  const logged = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  afterEach(() => logged.mockClear());

  async function emptyDatabase(): Promise<string> {
    const name = `wallet_migrate_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    await admin.end();
    created.push(name);
    return withDatabase(serverUrl, name);
  }

  async function dataSourceOn(url: string): Promise<DataSource> {
    // One connection, as the CLIs have: the lock must not take the connection the migrations need.
    const dataSource = await new DataSource(
      databaseOptions({ entities: ENTITIES, url, poolSize: 1, connectionTimeoutMs: 5_000, lockTimeoutMs: 10_000, statementTimeoutMs: 60_000 }),
    ).initialize();
    dataSources.push(dataSource);
    return dataSource;
  }

  async function appliedNames(url: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const exists = await client.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
      if (!exists.rows[0].present) return [];
      return (await client.query('SELECT name FROM schema_migrations ORDER BY id')).rows.map((row) => row.name);
    } finally {
      await client.end();
    }
  }

  afterAll(async () => {
    logged.mockRestore();
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy().catch(() => undefined)));
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  // The runners include one that builds an index CONCURRENTLY while the others wait for the lock.
  it('four runners on one empty database: every migration applied exactly once, nobody fails', async () => {
    const url = await emptyDatabase();
    const runners = await Promise.all([1, 2, 3, 4].map(() => dataSourceOn(url)));
    const results = await Promise.allSettled(runners.map((dataSource) => runMigrationsExclusively(dataSource)));

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const appliedCounts = results.map((result) => (result as PromiseFulfilledResult<unknown[]>).value.length).sort();
    expect(appliedCounts).toEqual([0, 0, 0, MIGRATIONS.length]);
    const names = await appliedNames(url);
    expect(names).toHaveLength(MIGRATIONS.length);
    expect(new Set(names).size).toBe(MIGRATIONS.length);
    expect(await runners[0].showMigrations()).toBe(false);
  });

  it('waits while another process holds the migration lock, then applies', async () => {
    const url = await emptyDatabase();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const runner = runMigrationsExclusively(await dataSourceOn(url));
      // Wait until the runner has asked for the lock and been refused: it says so in its log, once.
      const refused = () => logged.mock.calls.some(([message]) => String(message).includes('another process is applying migrations'));
      while (!refused()) await new Promise((resolve) => setTimeout(resolve, 20));
      const asking = await holder.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'wallet-service migrations lock' AND query LIKE '%pg_try_advisory_lock%'`,
      );
      expect(asking.rows[0].n).toBe(1);
      expect(await appliedNames(url)).toEqual([]);

      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      expect((await runner).length).toBe(MIGRATIONS.length);
      expect(await appliedNames(url)).toHaveLength(MIGRATIONS.length);
    } finally {
      await holder.end();
    }
  });

  it('leaves no lock behind: the lock session ends with the run', async () => {
    const url = await emptyDatabase();
    await runMigrationsExclusively(await dataSourceOn(url));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const free = await client.query('SELECT pg_try_advisory_lock($1) AS got', [MIGRATION_LOCK_KEY]);
      expect(free.rows[0].got).toBe(true);
    } finally {
      await client.end();
    }
  });
});
