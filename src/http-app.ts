import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, getSchemaPath, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { REQUEST_BODY_LIMIT_BYTES } from './common/http/body-limit.js';
import { ProblemDto } from './common/http/problem.dto.js';
import { requestIdMiddleware } from './common/http/request-id.middleware.js';
import { parseCorsOrigins, useCors, useSecurityHeaders } from './common/http/security-headers.js';
import { createValidationPipe } from './common/validation/validation-pipe.js';
import type { Environment } from './config/environment.js';


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
  useSecurityHeaders(app);
  useCors(app, parseCorsOrigins(config.get('CORS_ORIGINS', { infer: true })));
  app.useBodyParser('json', { limit: REQUEST_BODY_LIMIT_BYTES, strict: true });
  app.set('x-powered-by', false);
  app.set('etag', false);
  app.useGlobalPipes(createValidationPipe());
  boundRequestReceipt(app.getHttpServer() as Server, config.get('REQUEST_TIMEOUT_MS', { infer: true }));
  setUpOpenApi(app, config.get('RATE_LIMIT_REQUESTS', { infer: true }) > 0);
  return app;
}

/**
 * RequestTimeoutInterceptor bounds the handling of a request; this bounds its receipt, so a client that
 * sends headers or a body byte by byte cannot hold a connection for Node's default 5 minutes. Node enforces
 * these on a 30 s sweep, and answers 408 itself.
 */
function boundRequestReceipt(server: Server, timeoutMs: number): void {
  server.requestTimeout = timeoutMs;
  server.headersTimeout = Math.min(server.headersTimeout, timeoutMs);
}

function setUpOpenApi(app: INestApplication, rateLimited: boolean): void {
  const config = new DocumentBuilder()
    .setTitle('Wallet service')
    .setDescription(
      'User balances for e-commerce backends: top-ups, payments, transfers, statements. Amounts are integers in ' +
        'minor units of the wallet currency. Every /v1 call needs `Authorization: Bearer <api key>`; every POST ' +
        'accepts an `Idempotency-Key`. Errors are RFC 9457 application/problem+json with a stable `code`. A call that ' +
        'cannot finish in time (database down or slow, a lock or connection not had in time, the overall request ' +
        'timeout) answers 503 SERVICE_UNAVAILABLE with Retry-After; retrying a POST with the same Idempotency-Key is safe.' +
        (rateLimited ? ' Each API key has a rate limit: over it, calls answer 429 RATE_LIMITED with Retry-After.' : ''),
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque API key', description: 'An API key secret from API_KEYS' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  if (rateLimited) documentRateLimit(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
}

/** With RATE_LIMIT_REQUESTS set, every operation that needs a key can answer 429; without it none does. */
function documentRateLimit(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation?.security?.some((requirement) => 'api-key' in requirement)) continue;
      operation.responses['429'] = {
        description: 'RATE_LIMITED: the API key made more requests than its limit allows; nothing was done, retry after Retry-After',
        headers: { 'Retry-After': { description: 'Seconds until the key may call again', schema: { type: 'integer', minimum: 1 } } },
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      };
    }
  }
}
