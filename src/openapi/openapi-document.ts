import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from '../common/http/problem.dto.js';
import { FAILED_AUTH_POLICY, PER_KEY_POLICY, type RateLimitSettings } from '../common/rate-limit/rate-limit-settings.js';

/**
 * The OpenAPI document, built from the controllers' and DTOs' decorators only: it needs the Nest module graph,
 * not a database, so `npm run openapi` builds it from an app created in preview mode (see write-openapi.ts),
 * and http-app.ts serves the very same document at /docs-json. The rate limits it documents are the configured
 * ones (docs/openapi.json: the defaults), so that the document says what the service it comes from does.
 */
export function createOpenApiDocument(app: INestApplication, options: { rateLimits: RateLimitSettings }): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Wallet service')
    .setDescription(
      'User balances for e-commerce backends: top-ups, payments, transfers, statements. Amounts are integers in ' +
        'minor units of the wallet currency. Every /v1 call needs `Authorization: Bearer <api key>`; every POST ' +
        'accepts an `Idempotency-Key`. Errors are RFC 9457 application/problem+json with a stable `code`. A call that ' +
        'cannot finish in time (database down or slow, a lock or connection not had in time, the overall request ' +
        'timeout) answers 503 SERVICE_UNAVAILABLE with Retry-After; retrying a POST with the same Idempotency-Key is safe. ' +
        'Any call may also answer 500 INTERNAL_ERROR (problem+json with a `requestId` to quote) on an unexpected failure.' +
        rateLimitDescription(options.rateLimits),
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque API key', description: 'An API key secret from API_KEYS' }, 'api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  documentRateLimits(document, options.rateLimits);
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

const seconds = (windowSeconds: number) => (windowSeconds === 1 ? 'second' : `${windowSeconds} seconds`);

/** The sentences of info.description that state the limits in force. */
function rateLimitDescription({ perKey, failedAuth }: RateLimitSettings): string {
  let text = '';
  if (perKey) {
    text +=
      ` Each API key may make ${perKey.limit} requests per ${seconds(perKey.windowSeconds)} (a fixed window that opens with its ` +
      'first request, counted by each replica of the service); over it, calls answer 429 RATE_LIMITED with Retry-After and ' +
      `do nothing. Answers carry the IETF draft's RateLimit-Policy ("${PER_KEY_POLICY}";q=<limit>;w=<seconds>) and ` +
      'RateLimit (r=<remaining>;t=<seconds until the window ends>) headers.';
  }
  if (failedAuth) {
    text +=
      ` A client address that has had ${failedAuth.limit} failed authentications (401) within ${seconds(failedAuth.windowSeconds)} ` +
      'gets 429 RATE_LIMITED with Retry-After on every call until that window ends, whatever key it sends; each 401 carries ' +
      `RateLimit-Policy "${FAILED_AUTH_POLICY}" and what the address has left in RateLimit.`;
  }
  return text;
}

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
const POLICY_NAMES = `(${PER_KEY_POLICY}|${FAILED_AUTH_POLICY})`;

/**
 * With either limit on, every operation that needs a key documents 429 (Retry-After, in seconds) and the RateLimit
 * headers on each 2xx and 4xx answer that carries them: the key's policy after the key was accepted, the address's
 * failed-authentication policy on 401. With both off (RATE_LIMIT_REQUESTS=0, RATE_LIMIT_AUTH_FAILURES=0) the service
 * sends none of them and the document claims none. The probes are never limited and carry none.
 */
function documentRateLimits(document: OpenAPIObject, { perKey, failedAuth }: RateLimitSettings): void {
  const shown = perKey ?? failedAuth;
  if (!shown) return;
  document.components = {
    ...document.components,
    headers: {
      'RateLimit-Policy': {
        description:
          `The quota this answer counts against (draft-ietf-httpapi-ratelimit-headers): "${PER_KEY_POLICY}" (requests of the API key) once ` +
          `the key was accepted, "${FAILED_AUTH_POLICY}" (failed authentications of the client address) on a 401 and on the 429 that ` +
          'follows them; q is the quota, w the window in seconds. Absent where a limit is off, and on answers given before the ' +
          'key is read: a body that is not JSON (400), too large (413) or not UTF-8 (415).',
        required: false,
        schema: { type: 'string', maxLength: 64, pattern: `^"${POLICY_NAMES}";q=\\d{1,7};w=\\d{1,4}$`, example: `"${shown.name}";q=${shown.limit};w=${shown.windowSeconds}` },
      },
      RateLimit: {
        description:
          'What is left of the quota named in RateLimit-Policy: r units remain in the current window, which ends in t seconds. ' +
          'Sent with RateLimit-Policy, on the same answers.',
        required: false,
        schema: { type: 'string', maxLength: 64, pattern: `^"${POLICY_NAMES}";r=\\d{1,7};t=\\d{1,4}$`, example: `"${shown.name}";r=${shown.limit - 1};t=${shown.windowSeconds}` },
      },
      'Retry-After': {
        description: 'Seconds until the window that refused this call ends; a retry before then is refused again.',
        required: true,
        schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 3_600 }, // the longest window RATE_LIMIT_*_WINDOW_MS allows
      },
    },
  };
  const refusals = [
    perKey && `the API key has made its ${perKey.limit} requests of the current window (${perKey.windowSeconds} s)`,
    failedAuth && `the client address has had ${failedAuth.limit} failed authentications in its current window (${failedAuth.windowSeconds} s)`,
  ].filter(Boolean);
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation?.security?.some((requirement) => 'api-key' in requirement)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        const policy = status === '401' ? failedAuth : /^[24]\d\d$/.test(status) ? perKey : null;
        if (!policy || !response || '$ref' in response) continue;
        response.headers = { ...response.headers, 'RateLimit-Policy': headerRef('RateLimit-Policy'), RateLimit: headerRef('RateLimit') };
      }
      operation.responses['429'] = {
        description: `RATE_LIMITED: ${refusals.join(', or ')}; nothing was done (no money moved, no Idempotency-Key claimed): retry after Retry-After`,
        headers: { 'Retry-After': headerRef('Retry-After'), 'RateLimit-Policy': headerRef('RateLimit-Policy'), RateLimit: headerRef('RateLimit') },
        content: problemContent(),
      };
    }
  }
}
