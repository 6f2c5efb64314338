import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Request, Response } from 'express';
import type { Environment } from '../../config/environment.js';
import { DomainError } from '../errors/domain-error.js';
import { ProblemDetailsFilter } from '../errors/problem-details.filter.js';

/**
 * The last of the bounded waits: whatever a request waits for — a pooled connection, a row lock, a query,
 * a database that stopped answering without closing its sockets — it has its status line within
 * REQUEST_TIMEOUT_MS, or answers 503 SERVICE_UNAVAILABLE with Retry-After (written by the problem filter).
 *
 * The handler is not cancelled: a money move may still commit after the 503. That is safe to retry with the
 * same Idempotency-Key: while the first attempt runs, the repeat waits for it (then 409 IDEMPOTENCY_IN_PROGRESS),
 * and once it committed the repeat gets its answer replayed; it never posts twice. Without a key a retry is a
 * new move, as always. Whatever the handler answers or throws after the 503 is dropped (see
 * ProblemDetailsFilter.answerNow).
 *
 * Handlers that write the response themselves (the streamed CSV exports) are left alone: they stream for as
 * long as the data takes, bounded by their own statement timeout, and a 503 could not replace bytes already sent.
 *
 * A global guard rather than an interceptor, though it never refuses: the clock starts before the route's own
 * guards (so an API key looked up in the database is inside the bound too) and costs one timer per request.
 * Any interceptor at all makes Nest run every request of every route through rxjs (deferred observables, a
 * ReplaySubject, a watch for client disconnects): about 35 µs of CPU per request on the benchmark machine,
 * more than this whole guard's work (docs/benchmarks.md).
 */
@Injectable()
export class RequestTimeoutGuard implements CanActivate {
  private readonly logger = new Logger('RequestTimeout');
  private readonly problems = new ProblemDetailsFilter();
  private readonly timeoutMs: number;
  private readonly selfWriting = new WeakMap<object, boolean>();

  constructor(config: ConfigService<Environment, true>) {
    this.timeoutMs = config.get('REQUEST_TIMEOUT_MS', { infer: true });
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http' || this.writesItsOwnResponse(context)) return true;
    const response = context.switchToHttp().getResponse<Response>();
    const timer = setTimeout(() => this.expire(context), this.timeoutMs);
    // 'close' comes once the answer is sent, and also when the client hangs up first: either way no 503.
    response.on('close', () => clearTimeout(timer));
    return true;
  }

  private expire(context: ExecutionContext): void {
    const http = context.switchToHttp();
    const response = http.getResponse<Response>();
    // A status line already went out (a body still streaming): it stands.
    if (response.headersSent) return;
    const request = http.getRequest<Request>();
    this.logger.warn({ reqId: request.headers['x-request-id'], method: request.method, url: request.originalUrl }, `no answer within ${this.timeoutMs} ms: 503`);
    try {
      this.problems.answerNow(
        new DomainError('SERVICE_UNAVAILABLE', `The request did not finish within ${this.timeoutMs} ms; retry with the same Idempotency-Key.`),
        context,
      );
    } catch (error) {
      // A timer callback: nothing above it would catch this.
      this.logger.error({ err: error, reqId: request.headers['x-request-id'] }, 'could not answer 503 after the request timeout');
    }
  }

  /** As Nest decides it: the handler takes @Res() or @Next() without passthrough. */
  private writesItsOwnResponse(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let answer = this.selfWriting.get(handler);
    if (answer === undefined) {
      const controller = context.getClass();
      const args: Record<string, unknown> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {};
      const takesResponse = Object.keys(args).some((key) => {
        const type = Number(key.split(':')[0]);
        return type === RouteParamtypes.RESPONSE || type === RouteParamtypes.NEXT;
      });
      answer = takesResponse && !Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, handler.name);
      this.selfWriting.set(handler, answer);
    }
    return answer;
  }
}
