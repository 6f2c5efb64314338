import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, within } from './service-process.js';

const EMBEDDED_START_TIMEOUT_MS = 180_000;
const EMBEDDED_STOP_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;

export interface BenchDatabase {
  url: string;
  /** 'DATABASE_URL' or 'embedded (throwaway)'. */
  source: string;
  /** Stops and deletes the embedded server; a no-op for DATABASE_URL. Safe to call twice. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set, otherwise a throwaway embedded PostgreSQL on a free port in a temp directory. */
export async function acquireDatabase(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<BenchDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'DATABASE_URL', stop: async () => undefined };

  const dataDir = await mkdtemp(join(tmpdir(), 'wallet-bench-pg-'));
  const port = await freePort();
  log(`starting an embedded PostgreSQL in ${dataDir} on 127.0.0.1:${port} …`);
  // Loaded only here: it registers exit hooks, and DATABASE_URL runs do not need it.
  const { startEmbeddedPostgres } = await import('../../src/database/embedded-postgres.js');
  const started = await within(startEmbeddedPostgres({ dataDir, port, persistent: false }), EMBEDDED_START_TIMEOUT_MS);
  if (!started.done) {
    throw new Error(`the embedded PostgreSQL did not start within ${EMBEDDED_START_TIMEOUT_MS} ms (data dir ${dataDir})`);
  }
  const embedded = started.value;
  let stopped = false;
  return {
    url: embedded.url,
    source: 'embedded PostgreSQL (throwaway, default settings of src/database/embedded-postgres.ts)',
    async stop() {
      if (stopped) return;
      stopped = true;
      await within(embedded.stop(), EMBEDDED_STOP_TIMEOUT_MS);
      await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** Runs a few read-only queries; returns their first column of the first row. */
export async function queryScalars(url: string, sqls: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: QUERY_TIMEOUT_MS, statement_timeout: QUERY_TIMEOUT_MS });
  await client.connect();
  try {
    const values: string[] = [];
    for (const sql of sqls) {
      const result = await client.query(sql);
      const row = result.rows[0] as Record<string, unknown> | undefined;
      values.push(row ? String(Object.values(row)[0]) : '');
    }
    return values;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const VACUUM_TIMEOUT_MS = 300_000;

/**
 * VACUUM (ANALYZE) of every table in the service's schema (not sqllimit), as sql-limit.sh does for its own
 * tables before each pgbench run. Without it a fresh database is planned with no statistics at all until
 * autovacuum first gets to it, and the service's figures depend on when that happens. Returns the ms taken.
 */
export async function vacuumAnalyzeServiceTables(url: string): Promise<{ tables: number; ms: number }> {
  const startedAt = Date.now();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: QUERY_TIMEOUT_MS, statement_timeout: VACUUM_TIMEOUT_MS });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables
        WHERE schemaname = current_schema() ORDER BY relname`,
    );
    if (rows.length > 0) await client.query(`VACUUM (ANALYZE) ${rows.map((row) => row.name).join(', ')}`);
    return { tables: rows.length, ms: Date.now() - startedAt };
  } finally {
    await client.end().catch(() => undefined);
  }
}
