import type { DataSource } from 'typeorm';

/** The part of node-postgres' Pool used here: TypeORM's driver holds one as `master`. */
interface QueryPool {
  query<T>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }>;
}

/**
 * Runs `text` as a named prepared statement on node-postgres' pool, so each connection parses and plans it
 * once (PostgreSQL then reuses the plan) instead of on every call, as TypeORM's unnamed statements are. Worth
 * it for a hot read whose planning costs more than its execution: the wallet read, with its limit usage and
 * due-hold subqueries inlined from SQL functions, planned in ~250 µs and ran in ~40 (docs/benchmarks.md).
 * `name` must be unique per text in the process.
 */
export async function preparedQuery<T>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: QueryPool }).master;
  if (!pool) throw new Error('the database pool is not connected');
  const { rows } = await pool.query<T>({ name, text, values });
  return rows;
}
