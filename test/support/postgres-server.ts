import pg from 'pg';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../../src/database/database-options.js';
import { ENTITIES } from '../../src/entities.js';
import { runMigrationsExclusively } from '../../src/database/run-migrations.js';

/** The migrated database every test database is copied from. */
export const TEMPLATE_DATABASE = 'wallet_test_template';
const TEMPLATE_LOCK_KEY = 4_242_001;

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates and migrates the template once per test run, whichever worker gets here first; the others
 * wait on an advisory lock. Migrating through the real migrations is part of what the tests check.
 */
export async function ensureTemplate(serverUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE_DATABASE]);
    if (rowCount === 0) {
      await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}_building`);
      const dataSource = new DataSource(
        databaseOptions({
          entities: ENTITIES,
          url: withDatabase(serverUrl, `${TEMPLATE_DATABASE}_building`),
          poolSize: 1,
          connectionTimeoutMs: 5_000,
          lockTimeoutMs: 10_000,
          statementTimeoutMs: 60_000,
        }),
      );
      await dataSource.initialize();
      await runMigrationsExclusively(dataSource);
      await dataSource.destroy();
      await admin.query(`ALTER DATABASE ${TEMPLATE_DATABASE}_building RENAME TO ${TEMPLATE_DATABASE}`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]).catch(() => undefined);
    await admin.end();
  }
}
