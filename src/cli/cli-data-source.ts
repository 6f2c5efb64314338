import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../config/environment.js';
import { databaseOptions } from '../database/database-options.js';
import { ENTITIES } from '../entities.js';
import type { EmbeddedDatabase } from '../database/embedded-postgres.js';

/** Command-line tools may run long statements (a migration, a whole-ledger check). */
const CLI_STATEMENT_TIMEOUT_MS = 3_600_000;
const CLI_LOCK_TIMEOUT_MS = 60_000;

/**
 * Runs `work` on a one-connection DataSource on DATABASE_URL, or on the embedded database when it is
 * unset (started like `npm start` starts it; stop the service first, one process owns its data folder).
 * Everything is closed afterwards, whatever `work` does.
 */
export async function withCliDataSource<T>(work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const env = validateEnvironment(process.env);
  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    // Loaded only when needed, as in main.ts: production images ship without the embedded server.
    const { startEmbeddedPostgres } = await import('../database/embedded-postgres.js');
    embedded = await startEmbeddedPostgres({ dataDir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT });
  }
  const dataSource = new DataSource(
    databaseOptions({
      entities: ENTITIES,
      url: env.DATABASE_URL ?? embedded!.url,
      poolSize: 1,
      connectionTimeoutMs: env.DB_CONNECTION_TIMEOUT_MS,
      lockTimeoutMs: CLI_LOCK_TIMEOUT_MS,
      statementTimeoutMs: CLI_STATEMENT_TIMEOUT_MS,
    }),
  );
  try {
    await dataSource.initialize();
    return await work(dataSource);
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
  }
}

/**
 * Exits explicitly once stdout and stderr are flushed: the embedded server's package installs an exit
 * hook that would otherwise end the process with 0 whatever process.exitCode says.
 */
export function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}
