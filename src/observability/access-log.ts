import type { IncomingMessage } from 'node:http';
import type { DestinationStream, Level } from 'pino';
import type { Options } from 'pino-http';
import { REQUEST_ID_HEADER } from '../common/http/request-id.middleware.js';

const METRICS_ROUTE = '/metrics';

let destinationForTests: DestinationStream | undefined;

/**
 * Tests only: where pino writes instead of stdout. nestjs-pino builds one pino logger per process (per
 * jest test file), from the first application's settings, so set this before the first app is created.
 */
export function setLogDestinationForTests(stream: DestinationStream | undefined): void {
  destinationForTests = stream;
}

/** A request, as pino-http binds it: the request id its genReqId gave it. */
type RequestWithId = IncomingMessage & { id?: unknown };

/**
 * pino-http options for nestjs-pino. pino-http gives every line logged while a request is handled its
 * `requestId` (the X-Request-Id the request-id middleware accepted or made); it does not write the access
 * line itself: RequestObserver does, because pino-http runs as Nest middleware, after the body parser,
 * and would never see a request the parser refuses (413, malformed JSON).
 *
 * One child logger per request, bound to the request id alone. pino-http binds the request to the child it
 * makes under the `req` attribute key; that key is named `requestId` here and its serializer turns the
 * request into its id, so the child carries `"requestId":"…"` and nothing else. (`quietReqLogger` would bind
 * the same, but through two children, one of them holding the whole request serialized and redacted, on
 * every request: the second child's prototype is the first, a new object each time, which is what made
 * pino-http the largest single cost of a request.) `wrapSerializers: false` keeps pino-http from running
 * pino-std-serializers' request serializer (headers, remote address, …) before this one.
 */
export function pinoHttpOptions(settings: { level: string }): Options {
  return {
    level: settings.level,
    stream: destinationForTests,
    autoLogging: false,
    genReqId: (request: IncomingMessage) => String(request.headers[REQUEST_ID_HEADER]),
    customAttributeKeys: { req: 'requestId' },
    wrapSerializers: false,
    // Defence in depth: nothing here logs headers, but a `req` logged by hand elsewhere must not show a key either.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
    serializers: {
      // The request bound to each request's child, and a `requestId` logged explicitly (a string) as it is.
      requestId: (value: unknown) => (typeof value === 'object' && value !== null ? String((value as RequestWithId).id) : value),
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
    },
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
