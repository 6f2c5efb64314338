/**
 * The framework's floor for `npm run bench` (scenarios bare_route and bare_route_fastify): a bare NestJS app,
 * the same packages and versions as the service, with one route, `GET /bare`, answering a small JSON object. No
 * middleware (not even the body parsers NestFactory adds by default), no guards, pipes, interceptors or filters of
 * its own. BARE_ADAPTER picks the HTTP adapter: `express` (the default, what the service runs on; Express's ETag and
 * X-Powered-By off, as in the service) or `fastify` (@nestjs/platform-fastify, a dev dependency, only to see what
 * that adapter's floor would be). Its CPU per request is what any request costs at the least on that adapter.
 * Run from the build by run-bench.ts: `PORT=… [BARE_ADAPTER=fastify] node dist/test/bench/bare-nest.js`.
 */
import 'reflect-metadata';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { BareAdapter } from './scenarios.js';

const BARE_ADAPTERS: readonly BareAdapter[] = ['express', 'fastify'];

@Controller()
class BareController {
  @Get('bare')
  bare(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const LOGGER = ['error', 'warn'] as const;

async function createBareApp(adapter: BareAdapter): Promise<INestApplication> {
  if (adapter === 'fastify') {
    // Loaded only here: the service never depends on it.
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(BareModule, new FastifyAdapter(), { bodyParser: false, logger: [...LOGGER] });
  }
  const app = await NestFactory.create<NestExpressApplication>(BareModule, { bodyParser: false, logger: [...LOGGER] });
  app.set('x-powered-by', false);
  app.set('etag', false);
  return app;
}

async function bootstrap(): Promise<void> {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to the port to listen on');
  const adapter = process.env.BARE_ADAPTER ?? 'express';
  if (!(BARE_ADAPTERS as readonly string[]).includes(adapter)) throw new Error(`BARE_ADAPTER must be one of ${BARE_ADAPTERS.join(', ')}`);
  const app = await createBareApp(adapter as BareAdapter);
  let stopping = false;
  process.once('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void app.close().finally(() => process.exit(0));
  });
  await app.listen(port, '127.0.0.1');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`bare-nest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
