/**
 * The framework's floor for `npm run bench` (scenario bare_route): a bare NestJS app on @nestjs/platform-express,
 * the same packages and versions as the service, with one route, `GET /bare`, answering a small JSON object. No
 * middleware (not even the body parsers NestFactory adds by default), no guards, pipes, interceptors or filters of
 * its own; Express's ETag and X-Powered-By are off, as in the service. Its CPU per request is what any request to
 * the service costs at the least. Run from the build by run-bench.ts: `PORT=… node dist/test/bench/bare-nest.js`.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

@Controller()
class BareController {
  @Get('bare')
  bare(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function bootstrap(): Promise<void> {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to the port to listen on');
  const app = await NestFactory.create<NestExpressApplication>(BareModule, { bodyParser: false, logger: ['error', 'warn'] });
  app.set('x-powered-by', false);
  app.set('etag', false);
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
