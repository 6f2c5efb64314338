import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { QueryTimeoutClient } from './query-timeout-client.js';

/**
 * How much longer than statement_timeout node-postgres waits for an answer before it gives up by itself
 * (query_timeout). A server that runs ends a statement past statement_timeout with its own error (57014),
 * rolled back, on a connection that stays good; the margin lets that answer arrive first, with the round trip
 * and the event loop's delays in between. Only a server that answers nothing at all (stopped with SIGSTOP,
 * swapped out, cut off by a network that drops packets), where no server-side timeout can fire, meets the
 * client-side one: the query fails with "Query read timeout", which answers 503, and its connection is closed
 * (QueryTimeoutClient). Small, because it is what a hung database adds to the statement timeout before the
 * 503: the default 5 s + 0.5 s stays well under the REQUEST_TIMEOUT_MS of 8 s.
 */
export const QUERY_TIMEOUT_MARGIN_MS = 500;

/** node-postgres' query_timeout for queries under this statement_timeout. */
export function queryTimeoutFor(statementTimeoutMs: number): number {
  return statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS;
}

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
      // A hung server: the client stops waiting a little after statement_timeout and drops the connection.
      // A query under a longer SET LOCAL statement_timeout passes its own query_timeout (csv-export.ts).
      Client: QueryTimeoutClient,
      query_timeout: queryTimeoutFor(settings.statementTimeoutMs),
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
