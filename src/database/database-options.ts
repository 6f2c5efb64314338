import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';

export interface DatabaseSettings {
  url: string;
  /** The entity classes (src/entities.ts): passed in, so this layer knows no feature. */
  entities: NonNullable<DataSourceOptions['entities']>;
  poolSize: number;
  connectionTimeoutMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/** One definition of the connection for the service, the migration CLI and the tests. */
export function databaseOptions(settings: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: settings.entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    extra: {
      max: settings.poolSize,
      connectionTimeoutMillis: settings.connectionTimeoutMs,
      // Bounded waits: a row lock or a query that cannot finish in time fails fast and answers 503.
      // TimeZone=UTC: a time the API accepts without an offset (history's from/to may be a bare date) means
      // UTC, whatever TimeZone the server or the database was set up with. DateStyle=ISO: node-postgres
      // parses timestamps from ISO text only; a server set to another style would hand it dates it cannot read.
      // READ COMMITTED: the posting functions lock what they change and re-read after each wait; under a
      // stricter default, contended wallets would fail with serialization errors past the retries (503).
      options:
        `-c lock_timeout=${settings.lockTimeoutMs} -c statement_timeout=${settings.statementTimeoutMs} ` +
        `-c idle_in_transaction_session_timeout=${settings.statementTimeoutMs * 2} -c TimeZone=UTC -c DateStyle=ISO,MDY ` +
        // libpq's options syntax: a backslash keeps the space inside the value.
        '-c default_transaction_isolation=read\\ committed',
      application_name: 'wallet-service',
    },
  };
}
