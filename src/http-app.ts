import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { REQUEST_BODY_LIMIT_BYTES } from './common/http/body-limit.js';
import { requestIdMiddleware } from './common/http/request-id.middleware.js';
import { parseCorsOrigins, useCors, useSecurityHeaders } from './common/http/security-headers.js';
import { createValidationPipe } from './common/validation/validation-pipe.js';
import { rateLimitSettings, type RateLimitSettings } from './common/rate-limit/rate-limit-settings.js';
import { trustProxySetting, type Environment } from './config/environment.js';
import { requestLoggerMiddleware, rootLogger } from './observability/access-log.js';
import { createOpenApiDocument } from './openapi/openapi-document.js';


/**
 * Builds the HTTP application exactly as production runs it; main.ts and the e2e tests both use this,
 * so the tests exercise the real body parsing, validation, error mapping and OpenAPI document.
 */
export async function createHttpApp(databaseUrl: string, options: { logger?: boolean } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ databaseUrl }), {
    bufferLogs: true,
    bodyParser: false,
  });
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  if (options.logger !== false) app.useLogger(app.get(Logger));
  app.use(requestIdMiddleware);
  app.use(requestLoggerMiddleware(rootLogger({ level: config.get('LOG_LEVEL', { infer: true }) })));
  useSecurityHeaders(app);
  useCors(app, parseCorsOrigins(config.get('CORS_ORIGINS', { infer: true })));
  app.useBodyParser('json', { limit: REQUEST_BODY_LIMIT_BYTES, strict: true });
  app.set('x-powered-by', false);
  app.set('etag', false);
  // req.ip, which the failed-authentication bound counts by: the TCP peer unless TRUST_PROXY names the proxies to believe.
  app.set('trust proxy', trustProxySetting(config.get('TRUST_PROXY', { infer: true })));
  app.useGlobalPipes(createValidationPipe());
  boundRequestReceipt(app.getHttpServer() as Server, config.get('REQUEST_TIMEOUT_MS', { infer: true }));
  setUpOpenApi(
    app,
    rateLimitSettings({
      RATE_LIMIT_REQUESTS: config.get('RATE_LIMIT_REQUESTS', { infer: true }),
      RATE_LIMIT_WINDOW_MS: config.get('RATE_LIMIT_WINDOW_MS', { infer: true }),
      RATE_LIMIT_AUTH_FAILURES: config.get('RATE_LIMIT_AUTH_FAILURES', { infer: true }),
      RATE_LIMIT_AUTH_WINDOW_MS: config.get('RATE_LIMIT_AUTH_WINDOW_MS', { infer: true }),
    }),
  );
  return app;
}

/**
 * RequestTimeoutGuard bounds the handling of a request; this bounds its receipt, so a client that
 * sends headers or a body byte by byte cannot hold a connection for Node's default 5 minutes. Node enforces
 * these on a 30 s sweep, and answers 408 itself.
 */
function boundRequestReceipt(server: Server, timeoutMs: number): void {
  server.requestTimeout = timeoutMs;
  server.headersTimeout = Math.min(server.headersTimeout, timeoutMs);
}

/** Serves the document with the rate limits in force, so that /docs-json says what this process does. */
function setUpOpenApi(app: INestApplication, rateLimits: RateLimitSettings): void {
  const document = createOpenApiDocument(app, { rateLimits });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
}
