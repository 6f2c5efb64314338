import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { queryTimeoutFor } from '../database/database-options.js';
import { attachment, CSV_CONTENT_TYPE, csvLine, type CsvCell } from './csv.js';

/**
 * An export may read far more rows than an API call, and a slow client paces it; this replaces the
 * pool's DB_STATEMENT_TIMEOUT_MS for the export's own transaction only (SET LOCAL).
 */
export const EXPORT_STATEMENT_TIMEOUT_MS = 5 * 60_000;
/**
 * node-postgres' query_timeout for the queries under that statement timeout: the pool's is a little above
 * DB_STATEMENT_TIMEOUT_MS (database-options.ts) and would cut an export that legitimately runs longer. pg reads
 * a query's own query_timeout before the connection's. For the streamed query, and the COMMIT queued behind
 * it, it bounds the whole stream, from the first fetch to the last, a slow client's pacing included (where
 * PostgreSQL's statement timeout counts each fetch on its own): an export has this long in all, and one whose
 * database stops answering is cut then instead of holding its connection until the server comes back.
 */
export const EXPORT_QUERY_TIMEOUT_MS = queryTimeoutFor(EXPORT_STATEMENT_TIMEOUT_MS);
/** Rows fetched from the cursor per round trip, and rows buffered before the stream waits for the client. */
const ROWS_PER_FETCH = 500;
/** CSV text is handed to the socket in pieces of about this size rather than a write per row. */
const CHUNK_CHARS = 16 * 1024;

/** How an export's rows become CSV: the lines before, one line per database row, the lines after. */
export interface CsvShape<Row> {
  head: CsvCell[][];
  row(row: Row): CsvCell[];
  tail(): CsvCell[][];
}

/** Database rows (object mode) in, CSV text out, in chunks. */
class CsvRows<Row> extends Transform {
  private pending = '';

  constructor(private readonly shape: CsvShape<Row>) {
    super({ writableObjectMode: true, writableHighWaterMark: ROWS_PER_FETCH });
    for (const cells of shape.head) this.pending += csvLine(cells);
  }

  override _transform(row: Row, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.pending += csvLine(this.shape.row(row));
    } catch (error) {
      done(error as Error);
      return;
    }
    if (this.pending.length >= CHUNK_CHARS) {
      const chunk = this.pending;
      this.pending = '';
      done(null, chunk);
    } else {
      done();
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      for (const cells of this.shape.tail()) this.pending += csvLine(cells);
    } catch (error) {
      done(error as Error);
      return;
    }
    done(null, this.pending);
  }
}

/** One connection, one snapshot: what an export reads before streaming agrees with what it streams. */
export class ExportSession {
  /** The CSV on its way to the client, once sendCsv started it; it may outlive the database work. */
  delivery: Promise<void> | null = null;
  private connection: pg.PoolClient | null = null;

  /** The exporter lends the session its connection for the time of the database work. */
  attach(client: pg.PoolClient | null): void {
    this.connection = client;
  }

  private get db(): pg.PoolClient {
    if (!this.connection) throw new Error('export session used outside its snapshot');
    return this.connection;
  }

  async rows<Row>(sql: string, parameters: unknown[]): Promise<Row[]> {
    return (await this.db.query(exportQuery(sql, parameters))).rows as Row[];
  }

  /**
   * Starts sending `sql`'s rows as a CSV attachment, read through a server-side cursor ROWS_PER_FETCH at a
   * time as the client takes them: memory stays flat whatever the row count. Resolves when the database
   * has produced the last row and the snapshot has ended (COMMIT is queued behind the cursor, so it goes
   * out the moment the cursor is done, not when a slow client has read what Node still buffers — a
   * transaction left open that long would meet idle_in_transaction_session_timeout). The rest of the
   * sending is `delivery`.
   */
  async sendCsv<Row>(response: Response, filename: string, sql: string, parameters: unknown[], shape: CsvShape<Row>): Promise<void> {
    response.status(200);
    response.setHeader('Content-Type', CSV_CONTENT_TYPE);
    response.setHeader('Content-Disposition', attachment(filename));
    response.setHeader('Cache-Control', 'no-store');
    const stream = new QueryStream(sql, parameters, { batchSize: ROWS_PER_FETCH, highWaterMark: ROWS_PER_FETCH });
    // pg reads query_timeout from the submitted object itself (pg-query-stream keeps its options to itself).
    const rows = this.db.query(Object.assign(stream, { query_timeout: EXPORT_QUERY_TIMEOUT_MS }));
    // Its timer starts now, while it waits behind the cursor: it needs the export's time too.
    const committed = this.db.query(exportQuery('COMMIT', []));
    // When the delivery fails first, the connection is dropped and this COMMIT fails with it: nothing to report.
    committed.catch(() => undefined);
    this.delivery = deliver(rows, shape, response, committed);
    await Promise.race([committed, this.delivery]);
  }
}

/**
 * Streams the rows into the response, but sends its end (the last chunk) only once the snapshot's COMMIT is
 * answered: a short export can be produced faster than its COMMIT, and a client that has the whole body
 * must find the connection's transaction over. A failed COMMIT cuts the response instead.
 */
async function deliver<Row>(rows: Readable, shape: CsvShape<Row>, response: Response, committed: Promise<unknown>): Promise<void> {
  await pipeline(rows, new CsvRows(shape), response, { end: false });
  await committed;
  response.end();
  await finished(response);
}

/** Runs CSV exports on their own pooled connection, in a read-only REPEATABLE READ transaction. */
@Injectable()
export class CsvExporter {
  private readonly logger = new Logger(CsvExporter.name);

  constructor(private readonly dataSource: DataSource) {}

  /**
   * `work` reads and starts sending inside one snapshot. Failures before the sending starts (a refusal
   * such as WALLET_NOT_FOUND, the database being unavailable) reach the problem-details filter as usual.
   * Once it has started, a failure cannot become a problem response any more: the connection to the
   * client is cut (a chunked body without its last chunk, so no client mistakes the part for the whole)
   * and the failure is logged.
   */
  async run(response: Response, work: (session: ExportSession) => Promise<void>): Promise<void> {
    const session = new ExportSession();
    try {
      await this.inSnapshot(session, work);
      await session.delivery;
    } catch (error) {
      if (session.delivery === null && !response.headersSent) throw error;
      response.destroy();
      const code = (error as { code?: string }).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE') this.logger.log('CSV export ended early: the client went away');
      else this.logger.error({ err: error }, 'CSV export failed after it started; the response was cut');
    }
  }

  /** Returns once the database work is over and the connection is back in the pool. */
  private async inSnapshot(session: ExportSession, work: (session: ExportSession) => Promise<void>): Promise<void> {
    const pool = (this.dataSource.driver as unknown as { master: pg.Pool }).master;
    const client = await pool.connect();
    // While checked out, a connection that fails between two queries (server restart, timeout) reports it
    // as an 'error' event, which unheard would crash the process; the query that follows fails anyway.
    const onError = (error: Error) => this.logger.warn({ err: error }, 'CSV export: the database connection failed');
    client.on('error', onError);
    session.attach(client);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${EXPORT_STATEMENT_TIMEOUT_MS}`);
      await work(session);
      if (!session.delivery) await client.query('COMMIT');
    } catch (error) {
      // A refusal leaves the connection clean; anything else may leave a cursor open on it: drop it.
      const clean = error instanceof DomainError && (await rollBack(client));
      session.attach(null);
      client.off('error', onError);
      client.release(clean ? undefined : error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    session.attach(null);
    client.off('error', onError);
    client.release();
  }
}

/** A query under the export's statement timeout, with the client-side timeout to match. */
function exportQuery(text: string, values: unknown[]): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: EXPORT_QUERY_TIMEOUT_MS };
  return config;
}

async function rollBack(client: pg.PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}
