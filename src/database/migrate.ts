import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../config/environment.js';
import { databaseOptions } from './database-options.js';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL, or to the embedded database. */
async function migrate(): Promise<void> {
  const env = validateEnvironment(process.env);
  const embedded = env.DATABASE_URL
    ? undefined
    : await (await import('./embedded-postgres.js')).startEmbeddedPostgres({ dataDir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT });
  const dataSource = new DataSource(
    databaseOptions({
      url: env.DATABASE_URL ?? embedded!.url,
      poolSize: 1,
      connectionTimeoutMs: env.DB_CONNECTION_TIMEOUT_MS,
      lockTimeoutMs: 60_000,
      statementTimeoutMs: 3_600_000,
    }),
  );
  try {
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations');
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
  }
}

migrate().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
