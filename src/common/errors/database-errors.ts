import { types } from 'node:util';

/** SQLSTATE lock_not_available: a lock not had within lock_timeout (or at once, under NOWAIT). */
export const LOCK_NOT_AVAILABLE = '55P03';

/**
 * PostgreSQL and node-postgres failures that mean "the database is unavailable right now", not "bug":
 * a lock or statement that timed out, a connection that could not be had, a server that went away or
 * stopped answering.
 * They answer 503 with Retry-After; a retry with the same Idempotency-Key is safe because the
 * transaction that failed was rolled back whole — or, on a server that stopped answering, may still commit
 * once it resumes, and the retry then replays that outcome instead of posting again.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  LOCK_NOT_AVAILABLE, // (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '53000', // insufficient_resources
  '08000', '08003', '08006', '08001', '08004', // connection exceptions
  '25P03', // idle_in_transaction_session_timeout
  '40P01', // deadlock_detected, after retries ran out
  '40001', // serialization_failure, after retries ran out
]);

/**
 * Socket failures reaching the server. ENOENT: the Unix socket file is gone (the embedded PostgreSQL is
 * reached over one, and a stopped server removes it).
 */
const UNAVAILABLE_SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOENT', 'EPIPE', 'EHOSTUNREACH']);

/**
 * What node-postgres fails a query with when its query_timeout passes with no answer from the server
 * (pg/lib/client.js): a server that hangs (stopped, SIGSTOPped, cut off by the network) answers nothing, so
 * its own statement_timeout cannot fire. The connection is closed with it (src/database/query-timeout-client.ts).
 */
export const QUERY_READ_TIMEOUT_MESSAGE = 'Query read timeout';

const UNAVAILABLE_MESSAGES = [
  QUERY_READ_TIMEOUT_MESSAGE,
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'connect ECONNREFUSED',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'the database system is',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  // isNativeError, not instanceof: errors made by Node's own sockets come from another realm under
  // some runners (Jest's VM modules), and instanceof Error is false for them.
  if (!(error instanceof Error) && !types.isNativeError(error)) return false;
  const { message } = error as Error;
  const sqlState = (error as { code?: unknown }).code ?? (error as { driverError?: { code?: unknown } }).driverError?.code;
  if (typeof sqlState === 'string' && (UNAVAILABLE_SQLSTATES.has(sqlState) || sqlState.startsWith('08'))) return true;
  if (typeof sqlState === 'string' && UNAVAILABLE_SOCKET_ERRORS.has(sqlState)) return true;
  return UNAVAILABLE_MESSAGES.some((fragment) => message.includes(fragment));
}

/** node-postgres gave up waiting for the server's answer (query_timeout), as a driver error or wrapped by TypeORM. */
export function isQueryReadTimeout(error: unknown): boolean {
  if (!(error instanceof Error) && !types.isNativeError(error)) return false;
  const driverError = (error as { driverError?: unknown }).driverError ?? error;
  return (driverError as Error).message === QUERY_READ_TIMEOUT_MESSAGE;
}

/** Failures that a fresh attempt of the same transaction may not hit: retried a bounded number of times. */
export function isRetryableConflict(error: unknown): boolean {
  const sqlState = (error as { code?: unknown })?.code ?? (error as { driverError?: { code?: unknown } })?.driverError?.code;
  return sqlState === '40P01' || sqlState === '40001';
}
