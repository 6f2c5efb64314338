import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER } from '../common/http/request-id.middleware.js';
import type { Environment } from '../config/environment.js';
import { AccessLine, accessLineLevel, accessLineMessage, rootLogger } from './access-log.js';
import { routePattern } from './route-pattern.js';
import { WalletMetrics } from './wallet-metrics.js';

/** What is read off a request once it is answered: the route Express matched, the tenant ApiKeyGuard set. */
type ObservedRequest = IncomingMessage & { route?: { path?: unknown }; tenantId?: unknown };

/**
 * Sees every request the HTTP server receives — before Express, so also the ones refused before routing
 * (a body over 64 KiB, malformed JSON) and the OpenAPI routes — and, when its response is done, records
 * http_request_duration_seconds (answered requests only) and writes the access line (LOG_REQUESTS): one
 * per request, with method, route pattern, status, durationMs, requestId and tenant. Both are synchronous
 * and in memory; the line goes to pino's destination like every other.
 */
@Injectable()
export class RequestObserver implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;
  private readonly logRequests: boolean;
  private readonly logger: Logger;
  private readonly listener = (request: IncomingMessage, response: ServerResponse) => this.observe(request, response);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: WalletMetrics,
    config: ConfigService<Environment, true>,
  ) {
    this.logRequests = config.get('LOG_REQUESTS', { infer: true }) === 'true';
    this.logger = rootLogger({ level: config.get('LOG_LEVEL', { infer: true }) });
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    // First listener, ahead of Express: the clock starts before any middleware runs.
    this.server?.prependListener('request', this.listener);
  }

  onApplicationShutdown(): void {
    this.server?.removeListener('request', this.listener);
  }

  private observe(request: ObservedRequest, response: ServerResponse): void {
    const startedAtMs = performance.now();
    // 'close' follows 'finish' for every answered response, and also comes alone when the client hangs up.
    response.once('close', () => {
      const route = routePattern(request);
      if (response.writableFinished) this.metrics.httpRequestFinished(request.method ?? '', route, response.statusCode, startedAtMs);
      if (this.logRequests) this.log(request, response, route, performance.now() - startedAtMs);
    });
  }

  private log(request: ObservedRequest, response: ServerResponse, route: string, durationMs: number): void {
    const logger = this.logger;
    const line: AccessLine = {
      requestId: String(request.headers[REQUEST_ID_HEADER] ?? ''),
      method: request.method ?? '',
      route,
      status: response.statusCode,
      durationMs: Math.round(durationMs * 10) / 10,
      ...(typeof request.tenantId === 'string' ? { tenant: request.tenantId } : {}),
      ...(response.writableFinished ? {} : { aborted: true as const }),
    };
    const level = accessLineLevel(line);
    if (logger.isLevelEnabled(level)) logger[level](line, accessLineMessage(line));
  }
}
