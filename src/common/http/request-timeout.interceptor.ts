import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Request, Response } from 'express';
import { mergeMap, NEVER, Observable, race, throwError, timer } from 'rxjs';
import type { Environment } from '../../config/environment.js';
import { DomainError } from '../errors/domain-error.js';

/**
 * The last of the bounded waits: whatever a request waits for — a pooled connection, a row lock, a query,
 * a database that stopped answering without closing its sockets — it has its status line within
 * REQUEST_TIMEOUT_MS, or answers 503 SERVICE_UNAVAILABLE with Retry-After (set by the problem filter).
 *
 * The handler is not cancelled: a money move may still commit after the 503. That is safe to retry with the
 * same Idempotency-Key: while the first attempt runs, the repeat waits for it (then 409 IDEMPOTENCY_IN_PROGRESS),
 * and once it committed the repeat gets its answer replayed; it never posts twice. Without a key a retry is a
 * new move, as always.
 *
 * Handlers that write the response themselves (the streamed CSV exports) are left alone: they stream for as
 * long as the data takes, bounded by their own statement timeout, and a 503 could not replace bytes already sent.
 */
@Injectable()
export class RequestTimeoutInterceptor implements NestInterceptor {
  private readonly logger = new Logger('RequestTimeout');
  private readonly timeoutMs: number;
  private readonly selfWriting = new WeakMap<object, boolean>();

  constructor(config: ConfigService<Environment, true>) {
    this.timeoutMs = config.get('REQUEST_TIMEOUT_MS', { infer: true });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || this.writesItsOwnResponse(context)) return next.handle();
    const http = context.switchToHttp();
    const response = http.getResponse<Response>();
    const expired = timer(this.timeoutMs).pipe(
      mergeMap(() => {
        if (response.headersSent) return NEVER;
        const request = http.getRequest<Request>();
        this.logger.warn({ reqId: request.headers['x-request-id'], method: request.method, url: request.originalUrl }, `no answer within ${this.timeoutMs} ms: 503`);
        return throwError(
          () => new DomainError('SERVICE_UNAVAILABLE', `The request did not finish within ${this.timeoutMs} ms; retry with the same Idempotency-Key.`),
        );
      }),
    );
    return race(next.handle(), expired);
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
