import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { validateEnvironment } from './config/environment.js';
import { ShutdownSignal } from './health/shutdown-signal.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * `npm run worker`: webhook delivery in a process of its own, for installs that run the API with
 * WEBHOOK_WORKER=false (docker/k8s/worker-deployment.yaml). It serves /health/* and /metrics on PORT and
 * nothing under /v1. It needs DATABASE_URL (the API's embedded PostgreSQL is the API process's own).
 * Any number of workers (and API processes delivering) may run side by side on one database.
 */
async function bootstrap(): Promise<void> {
  const env = validateEnvironment(process.env);
  if (!env.DATABASE_URL) throw new Error('npm run worker needs DATABASE_URL: the server the API uses');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ databaseUrl: env.DATABASE_URL, role: 'worker' }), {
    bufferLogs: true,
  });
  app.useLogger(app.get(PinoLogger));
  const logger = new Logger('Worker');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.get(ShutdownSignal).begin();
    logger.log(`${signal}: finishing the attempts in flight, then closing the pool`);
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    (app.getHttpServer() as Server).closeIdleConnections();
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await app.listen(env.PORT);
  logger.log(`webhook worker delivering; health and metrics on port ${env.PORT}`);
}

void bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
