import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from '../common/http/problem.dto.js';

/**
 * The OpenAPI document, built from the controllers' and DTOs' decorators only: it needs the Nest module graph,
 * not a database, so `npm run openapi` builds it from an app created in preview mode (see write-openapi.ts),
 * and http-app.ts serves the very same document at /docs-json.
 */
export function createOpenApiDocument(app: INestApplication, options: { rateLimited: boolean }): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Wallet service')
    .setDescription(
      'User balances for e-commerce backends: top-ups, payments, transfers, statements. Amounts are integers in ' +
        'minor units of the wallet currency. Every /v1 call needs `Authorization: Bearer <api key>`; every POST ' +
        'accepts an `Idempotency-Key`. Errors are RFC 9457 application/problem+json with a stable `code`. A call that ' +
        'cannot finish in time (database down or slow, a lock or connection not had in time, the overall request ' +
        'timeout) answers 503 SERVICE_UNAVAILABLE with Retry-After; retrying a POST with the same Idempotency-Key is safe. ' +
        'Any call may also answer 500 INTERNAL_ERROR (problem+json with a `requestId` to quote) on an unexpected failure.' +
        (options.rateLimited ? ' Each API key has a rate limit: over it, calls answer 429 RATE_LIMITED with Retry-After.' : ''),
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque API key', description: 'An API key secret from API_KEYS' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  if (options.rateLimited) documentRateLimit(document);
  declareTags(document);
  walkSchemas(document, tightenFormat);
  return document;
}

/** The committed text of a document: 2-space JSON in the document's own (code-defined, stable) order, one final newline. */
export function serializeOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Where `npm run openapi` writes the document, relative to the repository root. */
export const OPENAPI_FILE = 'docs/openapi.json';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const INT32_MAX = 2 ** 31 - 1;

const problemContent = () => ({ 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } });

/** Every tag the operations use, declared once at the top, sorted. */
function declareTags(document: OpenAPIObject): void {
  const names = new Set<string>();
  for (const item of Object.values(document.paths)) for (const method of METHODS) for (const tag of item[method]?.tags ?? []) names.add(tag);
  document.tags = [...names].sort().map((name) => ({ name }));
}

type Schema = Record<string, unknown>;

/**
 * Bounds that follow from a value's format, stated where the decorators leave them implicit (OWASP API4:
 * every string and integer bounded): a UUID is 36 characters, an RFC 3339 date-time at most 35, an ISO 4217
 * code 3; an integer is int32 when its range fits, int64 otherwise. Every path parameter of this API without a
 * pattern of its own is an id that uuidParam() rejects unless it is a UUID (400), so it is documented as one; the
 * currencies of /v1/admin/fx-rates/{from}/{to} declare their pattern.
 */
function tightenFormat(schema: Schema, context: { pathParameter?: boolean }): void {
  nullableIntoOneOf(schema);
  if (schema.type === 'string') {
    if (context.pathParameter && schema.format === undefined && schema.enum === undefined && schema.pattern === undefined) schema.format = 'uuid';
    if (schema.maxLength === undefined && schema.enum === undefined) {
      if (schema.format === 'uuid') schema.maxLength = 36;
      else if (schema.format === 'date-time') schema.maxLength = 35;
      else if (schema.format === 'date') schema.maxLength = 10;
      else if (schema.pattern === '^[A-Z]{3}$') Object.assign(schema, { minLength: 3, maxLength: 3 });
    }
  }
  if (schema.type === 'integer' && schema.format === undefined) {
    const fits = (bound: unknown) => typeof bound === 'number' && Math.abs(bound) <= INT32_MAX;
    schema.format = fits(schema.maximum) && (schema.minimum === undefined || fits(schema.minimum)) ? 'int32' : 'int64';
  }
}

/**
 * OpenAPI 3.0 ignores `nullable` beside a `oneOf` without a `type` (metadata values: string, number, boolean or null);
 * stated on the string member instead, null matches exactly one member, as the validator accepts it.
 */
function nullableIntoOneOf(schema: Schema): void {
  for (const key of ['additionalProperties', 'items'] as const) {
    const inner = schema[key] as Schema | undefined;
    if (!inner || typeof inner !== 'object' || inner.type !== undefined || inner.nullable !== true || !Array.isArray(inner.oneOf)) continue;
    const members = inner.oneOf as Schema[];
    const target = members.find((member) => member.type === 'string') ?? members[0];
    if (!target) continue;
    delete inner.nullable;
    target.nullable = true;
  }
}

/** Calls visit on every schema object in the document (components, parameters, headers, bodies), depth first. */
function walkSchemas(document: OpenAPIObject, visit: (schema: Schema, context: { pathParameter?: boolean }) => void): void {
  const seen = new Set<unknown>();
  const walk = (node: unknown, context: { pathParameter?: boolean }): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const element of node) walk(element, context);
      return;
    }
    const object = node as Schema;
    if (typeof object.type === 'string') visit(object, context);
    for (const [key, value] of Object.entries(object)) {
      if (key === 'example' || key === 'examples') continue;
      if (key === 'schema' && object.in === 'path') walk(value, { pathParameter: true });
      else walk(value, {});
    }
  };
  walk(document, {});
}

/** With RATE_LIMIT_REQUESTS set, every operation that needs a key can answer 429; without it none does. */
function documentRateLimit(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation?.security?.some((requirement) => 'api-key' in requirement)) continue;
      operation.responses['429'] = {
        description: 'RATE_LIMITED: the API key made more requests than its limit allows; nothing was done, retry after Retry-After',
        headers: {
          'Retry-After': { description: 'Seconds until the key may call again', schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 3_600 } }, // ≤ RATE_LIMIT_WINDOW_MS, at most 1 h
        },
        content: problemContent(),
      };
    }
  }
}
