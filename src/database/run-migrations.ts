import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource, Migration } from 'typeorm';

/**
 * The pg_advisory_lock key every process takes before it applies migrations (the service at boot, the
 * migration Job, the CLIs). Any fixed number works as long as nothing else in the database uses it.
 */
export const MIGRATION_LOCK_KEY = 1_764_070_000;

/** How often a runner that finds the lock taken tries again. */
const MIGRATION_LOCK_RETRY_MS = 200;

/**
 * Applies pending migrations, one process at a time. Several replicas booting together (a scale-up, a
 * rollout racing the migration Job) would otherwise all find the same migration pending and run it side
 * by side: one wins, the others fail on "already exists" and restart. Here the others wait for the lock
 * and then find nothing pending.
 *
 * The lock is held by a connection of its own, outside the DataSource's pool: a CLI's pool has one
 * connection, which the migrations need. Ending that session releases the lock, also when this process
 * dies half-way.
 *
 * A runner polls for the lock (pg_try_advisory_lock) rather than queueing in pg_advisory_lock: a session
 * blocked in a statement holds a snapshot for as long as it waits, and CREATE INDEX CONCURRENTLY in the
 * migration that holds the lock waits for every older snapshot to end. Each would wait for the other, in a
 * cycle PostgreSQL cannot see (the lock is held by another backend than the one building), until
 * lock_timeout failed the migration.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<Migration[]> {
  const url = (dataSource.options as { url?: string }).url;
  if (!url) throw new Error('runMigrationsExclusively needs a DataSource configured with a url');
  const lock = new pg.Client({ connectionString: url, application_name: 'wallet-service migrations lock' });
  // A connection that fails while waiting surfaces through the query below; unheard, the event would crash.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    // Waits as long as the migration in progress takes: a migration has no upper bound that fits every change.
    for (let attempt = 0; !(await lock.query('SELECT pg_try_advisory_lock($1) AS acquired', [MIGRATION_LOCK_KEY])).rows[0].acquired; attempt++) {
      // Said once, so that a pod that seems stuck at startup explains itself in its log.
      if (attempt === 0) new Logger('Migrations').log(`another process is applying migrations (advisory lock ${MIGRATION_LOCK_KEY}); waiting for it`);
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_RETRY_MS));
    }
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.end().catch(() => undefined);
  }
}
