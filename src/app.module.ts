import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { LoggerModule } from 'nestjs-pino';
import { Clock } from './common/clock/clock.js';
import { API_KEYS, ApiKeyGuard } from './common/auth/api-key.guard.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { IdempotencyModule } from './common/idempotency/idempotency.module.js';
import { CursorCodec } from './common/pagination/cursor.js';
import { REQUEST_ID_HEADER } from './common/http/request-id.middleware.js';
import { DEVELOPMENT_API_KEYS, parseApiKeys } from './config/api-keys.js';
import { Environment, validateEnvironment } from './config/environment.js';
import { databaseOptions } from './database/database-options.js';
import { BatchesModule } from './batches/batches.module.js';
import { HoldsModule } from './holds/holds.module.js';
import { HealthModule } from './health/health.module.js';
import { LedgerModule } from './ledger/ledger.module.js';
import { StatementsModule } from './statements/statements.module.js';
import { TransactionsModule } from './transactions/transactions.module.js';
import { WalletsModule } from './wallets/wallets.module.js';


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
              // The request-id middleware ran first (before body parsing), so every log line carries its id.
              genReqId: (request) => String(request.headers[REQUEST_ID_HEADER]),
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
        HoldsModule,
        BatchesModule,
        StatementsModule,
        HealthModule,
        LedgerModule,
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
        Clock,
        {
          provide: CursorCodec,
          inject: [ConfigService],
          useFactory: (config: ConfigService<Environment, true>) =>
            new CursorCodec(
              config.get('CURSOR_SECRET', { infer: true }) ??
                createHash('sha256').update(`cursor\n${config.get('API_KEYS', { infer: true }) ?? DEVELOPMENT_API_KEYS}`).digest('hex'),
            ),
        },
      ],
      exports: [API_KEYS, ApiKeyGuard, CursorCodec, Clock],
    };
  }
}
