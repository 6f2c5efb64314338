import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { LoggerModule } from 'nestjs-pino';
import { API_KEYS, ApiKeyGuard } from './common/auth/api-key.guard.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { IdempotencyModule } from './common/idempotency/idempotency.module.js';
import { DEVELOPMENT_API_KEYS, parseApiKeys } from './config/api-keys.js';
import { Environment, validateEnvironment } from './config/environment.js';
import { databaseOptions } from './database/database-options.js';
import { HealthModule } from './health/health.module.js';
import { TransactionsModule } from './transactions/transactions.module.js';
import { WalletsModule } from './wallets/wallets.module.js';

const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AppModuleOptions {
  /** The PostgreSQL URL actually used: DATABASE_URL, or the embedded server main.ts started. */
  databaseUrl: string;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment, cache: true }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<Environment, true>) => ({
            pinoHttp: {
              level: config.get('LOG_LEVEL', { infer: true }),
              autoLogging: config.get('LOG_REQUESTS', { infer: true }) === 'true',
              // Accept the caller's request id when it is sane, otherwise mint one; echoed on every response.
              genReqId: (request, response) => {
                const given = request.headers[REQUEST_ID_HEADER];
                const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
                response.setHeader('X-Request-Id', id);
                return id;
              },
              redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
              serializers: {
                req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
              },
            },
          }),
        }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<Environment, true>) => ({
            ...databaseOptions({
              url: options.databaseUrl,
              poolSize: config.get('DB_POOL_SIZE', { infer: true }),
              connectionTimeoutMs: config.get('DB_CONNECTION_TIMEOUT_MS', { infer: true }),
              lockTimeoutMs: config.get('DB_LOCK_TIMEOUT_MS', { infer: true }),
              statementTimeoutMs: config.get('DB_STATEMENT_TIMEOUT_MS', { infer: true }),
            }),
            // Migrations run before the app listens, so "ready" always means "schema is current".
            migrationsRun: true,
            migrationsTransactionMode: 'each',
          }),
        }),
        IdempotencyModule,
        WalletsModule,
        TransactionsModule,
        HealthModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        {
          provide: API_KEYS,
          inject: [ConfigService],
          useFactory: (config: ConfigService<Environment, true>) =>
            parseApiKeys(config.get('API_KEYS', { infer: true }) ?? DEVELOPMENT_API_KEYS),
        },
        ApiKeyGuard,
      ],
      exports: [API_KEYS, ApiKeyGuard],
    };
  }
}
