import pg from 'pg';
import { isQueryReadTimeout } from '../common/errors/database-errors.js';

type QueryCallback = (error: Error | null | undefined, result?: unknown) => void;

/**
 * node-postgres' Client, except that a query which passes its query_timeout closes the connection at once.
 *
 * On its own, node-postgres only stops waiting: the query stays on the connection as the one in flight, and
 * whatever is sent next queues behind it until the server answers it. pg-pool discards a client released with
 * an error (pool.query does that, so the ledger engine's connections are dropped), but TypeORM's query runner
 * releases its connection clean, after sending ROLLBACK, which waits a whole query_timeout more behind the
 * query that timed out and is then dropped from the queue unsent. The pool hands that connection to the next
 * caller; once the server resumes, it answers the old query and then runs the new caller's statements inside
 * the transaction that timed out, whose ROLLBACK never went out: committed work that is rolled back later, by
 * idle_in_transaction_session_timeout. Closed here, the ROLLBACK fails at once, the pool discards the client
 * (it is ending) and opens a fresh connection for the next caller, and the server ends the old session as soon
 * as it runs again. node-postgres does the same by itself for a pipelined client (it destroys the stream).
 *
 * pg's timer calls the query's own callback with the timeout error, so that is where it is seen: the callback
 * given (pool.query passes one), the callback pg chains onto a submittable (pg-query-stream), or the promise
 * pg returns. A timer that fires means the query is still unanswered: pg clears it when the query completes
 * or fails, a stream's included (pg-query-stream calls its callback at its end).
 */
export class QueryTimeoutClient extends pg.Client {
  // One signature for pg's many overloads: the arguments go to pg unchanged but for a wrapped callback.
  override query(...args: any[]): any {
    const [config] = args;
    const last: unknown = args.length > 1 ? args[args.length - 1] : undefined;
    if (typeof last === 'function') {
      args[args.length - 1] = this.closingOnTimeout(last as QueryCallback);
    } else if (typeof config?.submit === 'function') {
      const own = config.callback as QueryCallback | undefined;
      config.callback = this.closingOnTimeout(own ?? (() => undefined));
    }
    const result: unknown = Reflect.apply(super.query, this, args);
    if (typeof last !== 'function' && typeof config?.submit !== 'function' && isPromise(result)) {
      // Watching only: the caller gets pg's promise as it is, and handles its rejection itself.
      result.catch((error: unknown) => {
        if (isQueryReadTimeout(error)) this.closeUnanswered();
      });
    }
    return result;
  }

  private closingOnTimeout(callback: QueryCallback): QueryCallback {
    return (error, result) => {
      if (isQueryReadTimeout(error)) this.closeUnanswered();
      callback(error, result);
    };
  }

  /**
   * end() on a client with a query in flight destroys the socket rather than waiting for the answer; from here
   * on the client refuses queries at once ("Client was closed"), and pg-pool removes a released client that is
   * ending. Without an 'error' event: nothing needs telling but the caller, who has the timeout error.
   */
  private closeUnanswered(): void {
    this.end().catch(() => undefined);
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}
