import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { REQUEST_BODY_LIMIT_BYTES } from '../http/body-limit.js';
import { IDEMPOTENCY_REPLAYED_HEADER } from '../http/idempotency-header.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { DomainError, FieldError } from './domain-error.js';
import { ERROR_STATUS, ERROR_TITLE, ErrorCode } from './error-codes.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const RETRY_AFTER_SECONDS = '1';
/** The detail of a 503 for a database that is down, hangs, or has no connection or lock to give in time. */
export const DATABASE_UNAVAILABLE_DETAIL = 'The database could not answer in time; retry with the same Idempotency-Key.';

/** Responses answered by answerNow while their handler still ran. */
const answeredForHandler = new WeakSet<object>();

const CODE_FOR_HTTP_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  requestId?: string;
}

export function problemFor(code: ErrorCode, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: ERROR_TITLE[code],
    status: ERROR_STATUS[code],
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/**
 * The one place errors become responses: RFC 9457 problem+json with the contract's stable code.
 * Anything it does not recognise is a bug: logged with the request id, answered 500 without internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    // Already answered for its handler (the request timeout): what the handler throws afterwards, and the error
    // Express raises when Nest sends the handler's late result on an answered response, are not news.
    if (answeredForHandler.has(response)) return;
    const problem = this.toProblem(exception, request);
    if (response.headersSent) return;
    if (problem.status === 503) response.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    if (exception instanceof DomainError && exception.replayed) response.setHeader(IDEMPOTENCY_REPLAYED_HEADER, 'true');
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  /**
   * Answers `exception` now, on behalf of a handler that is still running (the request timeout), and drops
   * whatever reaches this filter for that response afterwards.
   */
  answerNow(exception: unknown, host: ArgumentsHost): void {
    this.catch(exception, host);
    answeredForHandler.add(host.switchToHttp().getResponse<Response>());
  }

  private toProblem(exception: unknown, request: Request): Problem {
    if (exception instanceof DomainError) return problemFor(exception.code, exception.detail, exception.errors);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_FOR_HTTP_STATUS[status];
      // Express's body-parser failures arrive here as HttpExceptions too (malformed JSON 400, too large 413, charset 415).
      if (code === 'PAYLOAD_TOO_LARGE') return problemFor(code, `The request body exceeds the ${REQUEST_BODY_LIMIT_BYTES / 1024} KiB limit.`);
      // A compressed body that does not decompress: body-parser hides zlib's message (expose: false).
      if (code === 'VALIDATION_FAILED' && isZlibError(exception.cause)) {
        return problemFor(code, `The request body could not be decoded as its Content-Encoding (${String(request.headers['content-encoding']).slice(0, 40)}) says.`);
      }
      if (code) return problemFor(code, httpExceptionDetail(exception));
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ err: exception, reqId: request.id }, 'database unavailable');
      return problemFor('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_DETAIL);
    }
    const requestId = String(request.headers['x-request-id'] ?? request.id ?? '');
    this.logger.error({ err: exception, reqId: requestId }, 'unhandled error');
    return { ...problemFor('INTERNAL_ERROR', 'An unexpected error occurred; it has been logged.'), requestId };
  }
}

/** zlib's codes: Z_DATA_ERROR and the like for gzip/deflate, ERR__ERROR_FORMAT_… for brotli. */
function isZlibError(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(Z_|ERR__ERROR_)/.test(code);
}

function httpExceptionDetail(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
