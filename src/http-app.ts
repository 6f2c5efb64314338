import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { REQUEST_BODY_LIMIT_BYTES } from './common/http/body-limit.js';
import { requestIdMiddleware } from './common/http/request-id.middleware.js';
import { createValidationPipe } from './common/validation/validation-pipe.js';


/**
 * Builds the HTTP application exactly as production runs it; main.ts and the e2e tests both use this,
 * so the tests exercise the real body parsing, validation, error mapping and OpenAPI document.
 */
export async function createHttpApp(databaseUrl: string, options: { logger?: boolean } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ databaseUrl }), {
    bufferLogs: true,
    bodyParser: false,
  });
  if (options.logger !== false) app.useLogger(app.get(Logger));
  app.use(requestIdMiddleware);
  app.useBodyParser('json', { limit: REQUEST_BODY_LIMIT_BYTES, strict: true });
  app.set('x-powered-by', false);
  app.set('etag', false);
  app.useGlobalPipes(createValidationPipe());
  setUpOpenApi(app);
  return app;
}

function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Wallet service')
    .setDescription(
      'User balances for e-commerce backends: top-ups, payments, transfers, statements. Amounts are integers in ' +
        'minor units of the wallet currency. Every /v1 call needs `Authorization: Bearer <api key>`; every POST ' +
        'accepts an `Idempotency-Key`. Errors are RFC 9457 application/problem+json with a stable `code`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque API key', description: 'An API key secret from API_KEYS' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
}
