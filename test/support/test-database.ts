import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ensureTemplate, TEMPLATE_DATABASE, withDatabase } from './postgres-server.js';

export interface TestDatabase {
  url: string;
  /** A plain pg pool on the same database, for assertions and for holding locks from outside the service. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.TEST_SERVER_URL;
  if (!url) throw new Error('TEST_SERVER_URL is unset: run the tests with `npm test` (jest globalSetup starts PostgreSQL)');
  return url;
}

/** A new database copied from the migrated template: each test file owns its data. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `wallet_test_${randomBytes(6).toString('hex')}`;
  await ensureTemplate(serverUrl());
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const url = withDatabase(serverUrl(), name);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // An idle client whose backend is terminated (seen once in a full run: 57P01 while another file tore its
  // database down) must not surface as an unhandled 'error' event in whichever test runs next in this worker;
  // a query on a dead client still fails loudly.
  pool.on('error', () => undefined);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: serverUrl() });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
