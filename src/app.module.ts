import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { LoggerModule } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { ApiKeyStore } from './auth/api-key-store.js';
import { Clock } from './common/clock/clock.js';
import { API_KEYS, ApiKeyGuard } from './auth/api-key.guard.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { RequestTimeoutGuard } from './common/http/request-timeout.guard.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { CursorCodec } from './common/pagination/cursor.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { DEVELOPMENT_API_KEYS, parseApiKeys } from './config/api-keys.js';
import { Environment, validateEnvironment } from './config/environment.js';
import { databaseOptions } from './database/database-options.js';
import { ENTITIES } from './entities.js';
import { runMigrationsExclusively } from './database/run-migrations.js';
import { EventsModule } from './events/events.module.js';
import { HealthModule } from './health/health.module.js';
import { LedgerModule } from './ledger/ledger.module.js';
import { loggerModuleParams } from './observability/access-log.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { StatementsModule } from './statements/statements.module.js';
import { WalletsModule } from './wallets/wallets.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';


export interface AppModuleOptions {
  /** The PostgreSQL URL actually used: DATABASE_URL, or the embedded server main.ts started. */
  databaseUrl: string;
  /** api (default): the HTTP API, delivering webhooks unless WEBHOOK_WORKER=false. worker: webhook delivery, health and metrics only. */
  role?: 'api' | 'worker';
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
          // The request's logger, bound to its id, is made by requestLoggerMiddleware (http-app.ts); the access
          // line (LOG_REQUESTS) is written by ObservabilityModule's RequestObserver.
          useFactory: (config: ConfigService<Environment, true>) => loggerModuleParams({ level: config.get('LOG_LEVEL', { infer: true }) }),
        }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<Environment, true>) => ({
            ...databaseOptions({
              entities: ENTITIES,
              url: options.databaseUrl,
              poolSize: config.get('DB_POOL_SIZE', { infer: true }),
              connectionTimeoutMs: config.get('DB_CONNECTION_TIMEOUT_MS', { infer: true }),
              lockTimeoutMs: config.get('DB_LOCK_TIMEOUT_MS', { infer: true }),
              statementTimeoutMs: config.get('DB_STATEMENT_TIMEOUT_MS', { infer: true }),
            }),
          }),
          // Migrations run before the app listens, so "ready" always means "schema is current"; under an
          // advisory lock, so replicas booting together apply each migration once.
          dataSourceFactory: async (dataSourceOptions) => {
            const dataSource = await new DataSource(dataSourceOptions!).initialize();
            try {
              await runMigrationsExclusively(dataSource);
            } catch (error) {
              await dataSource.destroy().catch(() => undefined);
              throw error;
            }
            return dataSource;
          },
        }),
        ...(options.role === 'worker'
          ? [WebhooksModule.forRoot('worker')]
          : [IdempotencyModule, WalletsModule, LedgerModule, StatementsModule, EventsModule, WebhooksModule.forRoot('api')]),
        RateLimitModule,
        HealthModule,
        ObservabilityModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_GUARD, useClass: RequestTimeoutGuard },
        {
          provide: API_KEYS,
          inject: [ConfigService],
          useFactory: (config: ConfigService<Environment, true>) =>
            parseApiKeys(config.get('API_KEYS', { infer: true }) ?? DEVELOPMENT_API_KEYS),
        },
        ApiKeyGuard,
        ApiKeyStore,
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
      exports: [API_KEYS, ApiKeyGuard, ApiKeyStore, CursorCodec, Clock],
    };
  }
}
