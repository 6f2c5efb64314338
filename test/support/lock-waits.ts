import type pg from 'pg';

/** Polls until some backend of this database waits for a lock; bounded, so a broken test fails instead of hanging. */
export async function waitUntilSomeoneWaits(pool: pg.Pool): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0].waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no request ever waited for the lock');
}
