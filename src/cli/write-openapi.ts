import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from '../app.module.js';
import { rateLimitSettings } from '../common/rate-limit/rate-limit-settings.js';
import { validateEnvironment } from '../config/environment.js';
import { createOpenApiDocument, OPENAPI_FILE, serializeOpenApi } from '../openapi/openapi-document.js';


/**
 * Writes the document /docs-json serves by default (with the default rate limits, whatever this shell's
 * environment says) to docs/openapi.json, without a database: Nest's preview mode builds the module graph and reads the controllers' metadata but
 * instantiates no provider, so TypeORM never connects (the URL below is never dialled).
 */
async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule.forRoot({ databaseUrl: 'postgres://openapi-preview.invalid/none' }), {
    preview: true,
    logger: false,
  });
  const document = createOpenApiDocument(app, { rateLimits: rateLimitSettings(validateEnvironment({})) });
  await app.close();
  const file = resolve(process.argv[2] ?? OPENAPI_FILE);
  writeFileSync(file, serializeOpenApi(document));
  console.log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
