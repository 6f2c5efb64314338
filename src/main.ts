import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { validateEnvironment } from './config/environment.js';
import { queryTimeoutFor } from './database/database-options.js';
import type { EmbeddedDatabase } from './database/embedded-postgres.js';
import { ShutdownSignal } from './health/shutdown-signal.js';
import { createHttpApp } from './http-app.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function bootstrap(): Promise<void> {
  const startedAtMs = Date.now();
  const env = validateEnvironment(process.env);
  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    // Loaded only when needed: production images ship without the embedded server (a dev dependency).
    const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
    embedded = await startEmbeddedPostgres({ dataDir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT });
  }
  const app = await createHttpApp(env.DATABASE_URL ?? embedded!.url);
  const logger = new Logger('Bootstrap');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness answers 503 from here on, so load balancers stop sending new work.
    app.get(ShutdownSignal).begin();
    logger.log(`${signal}: draining requests, then closing the pool`);
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    // Keep serving while they notice (SHUTDOWN_DELAY_MS, 0 by default): traffic routed here meanwhile is not refused.
    if (env.SHUTDOWN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, env.SHUTDOWN_DELAY_MS));
    // app.close() stops accepting connections, waits for in-flight requests, then destroys the pool.
    // Keep-alive sockets that go idle after their last response would hold it open until they time
    // out, so they are closed as soon as they are idle.
    const server = app.getHttpServer() as Server;
    const sweeper = setInterval(() => server.closeIdleConnections(), 50);
    await app.close();
    clearInterval(sweeper);
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(env.PORT);
  // The client-side query timeout (a hung database) fires a little after the statement timeout.
  if (env.REQUEST_TIMEOUT_MS <= queryTimeoutFor(env.DB_STATEMENT_TIMEOUT_MS)) {
    logger.warn(
      `REQUEST_TIMEOUT_MS (${env.REQUEST_TIMEOUT_MS}) is not above DB_STATEMENT_TIMEOUT_MS (${env.DB_STATEMENT_TIMEOUT_MS}) ` +
        `plus the query timeout's margin (${queryTimeoutFor(env.DB_STATEMENT_TIMEOUT_MS)} ms in all): ` +
        'slow requests will answer 503 while their database work still runs (safe to retry with the same Idempotency-Key, but wasteful)',
    );
  }
  if (!env.API_KEYS) logger.warn('API_KEYS is unset: using the development key "dev-secret-key" (never in production)');
  logger.log(
    `listening on http://localhost:${env.PORT} (docs at /docs) with ${embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}; ready in ${Date.now() - startedAtMs} ms`,
  );
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
