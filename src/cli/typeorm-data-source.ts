import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../database/database-options.js';
import { ENTITIES } from '../entities.js';

/**
 * For the TypeORM CLI (`npm run migration:generate -- migrations/<Name>`), which needs DATABASE_URL:
 * generate against a database migrated to the current schema, then review the file by hand.
 */
export default new DataSource(
  databaseOptions({
    entities: ENTITIES,
    url: process.env.DATABASE_URL ?? '',
    poolSize: 2,
    connectionTimeoutMs: 5_000,
    lockTimeoutMs: 10_000,
    statementTimeoutMs: 600_000,
  }),
);
