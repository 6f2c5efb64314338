import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import type { Options } from 'pino-http';
import { REQUEST_ID_HEADER } from '../common/http/request-id.middleware.js';

const METRICS_ROUTE = '/metrics';

let destinationForTests: DestinationStream | undefined;
let processLogger: Logger | undefined;

/**
 * Tests only: where pino writes instead of stdout. The service builds one pino logger per process (per
 * jest test file), from the first application's settings, so set this before the first app is created.
 */
export function setLogDestinationForTests(stream: DestinationStream | undefined): void {
  destinationForTests = stream;
}

/**
 * The process's one pino logger, built from the first application's settings: every line goes through it
 * (nestjs-pino's own logger for lines outside a request is a child of it with no bindings of its own, see
 * loggerModuleParams), so there is one destination and one order of lines.
 */
export function rootLogger(settings: { level: string }): Logger {
  processLogger ??= pino(
    {
      level: settings.level,
      // Defence in depth: nothing here logs headers, but a `req` logged by hand elsewhere must not show a key either.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
    },
    destinationForTests,
  );
  return processLogger;
}

/**
 * nestjs-pino's settings. Every line logged while a request is handled carries its `requestId` (the
 * X-Request-Id the request-id middleware accepted or made): nestjs-pino's middleware runs the rest of the
 * request with `request.log` as the logger of its context, and requestLoggerMiddleware has made that a
 * child of the root bound to the id.
 *
 * `useExisting` tells nestjs-pino that `request.log` is already there, so it mounts only that middleware and
 * not pino-http's. That one made a child logger per request too, but with all it sets on every request and
 * response (two loggers, two lists of them, a start time, a finish listener's closure) it cost 30–40 µs of
 * CPU per request, garbage collection included (docs/benchmarks.md), for nothing else the service uses: the
 * access line is RequestObserver's, which also sees the requests the body parser refuses. pino-http still
 * builds nestjs-pino's logger for lines outside a request; `logger` makes that a child of the root.
 */
export function loggerModuleParams(settings: { level: string }): { pinoHttp: Options; useExisting: true } {
  return { pinoHttp: { logger: rootLogger(settings), autoLogging: false, wrapSerializers: false }, useExisting: true };
}

/** What requestLoggerMiddleware sets on a request: pino-http's names for the same things. */
type LoggedRequest = IncomingMessage & { id?: string; log?: Logger };

/**
 * Express middleware, right after the request-id middleware: `request.id` (which the problem filter logs)
 * and `request.log`, the request's one child logger, bound to its id alone.
 */
export function requestLoggerMiddleware(root: Logger): (request: LoggedRequest, response: ServerResponse, next: () => void) => void {
  return (request, _response, next) => {
    const id = String(request.headers[REQUEST_ID_HEADER]);
    request.id = id;
    request.log = root.child({ requestId: id });
    next();
  };
}

/** The access line of one answered request: what it was, never who sent what (no headers, body, query or ids). */
export interface AccessLine {
  requestId: string;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  tenant?: string;
  /** The client hung up before the answer was sent; status is what it would have been. */
  aborted?: true;
}

/** 5xx at error, successful scrapes of /metrics at debug (a scraper must not flood the log), the rest at info. */
export function accessLineLevel(line: Pick<AccessLine, 'route' | 'status'>): Level {
  if (line.status >= 500) return 'error';
  if (line.status < 400 && line.route === METRICS_ROUTE) return 'debug';
  return 'info';
}

export function accessLineMessage(line: Pick<AccessLine, 'status' | 'aborted'>): string {
  if (line.aborted) return 'request aborted';
  return line.status >= 500 ? 'request failed' : 'request completed';
}
