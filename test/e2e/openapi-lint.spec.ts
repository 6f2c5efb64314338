import { Validator } from '@seriousme/openapi-schema-validator';
import { NestFactory } from '@nestjs/core';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AppModule } from '../../src/app.module.js';
import { rateLimitSettings } from '../../src/common/rate-limit/rate-limit-settings.js';
import { validateEnvironment } from '../../src/config/environment.js';
import { createOpenApiDocument, OPENAPI_FILE, serializeOpenApi } from '../../src/openapi/openapi-document.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * The committed docs/openapi.json and src/client/schema.ts are what the service serves and what the client
 * generator makes of it (regenerate: `npm run build && npm run openapi && npm run client:generate`), and the
 * served document is valid OpenAPI 3 with no Spectral error under docs/spectral.yaml (OWASP API Security). The
 * service is served with the default settings throughout, so that its rate limits are on (as they are by default).
 */

const run = promisify(execFile);
const ROOT = resolve('.');
const SPECTRAL = join(ROOT, 'node_modules/.bin/spectral');
const OPENAPI_TYPESCRIPT = join(ROOT, 'node_modules/.bin/openapi-typescript');
const RULESET = join(ROOT, 'docs/spectral.yaml');
const CLIENT_SCHEMA = 'src/client/schema.ts';
const SEVERITY = ['error', 'warn', 'info', 'hint'] as const;
/** The OWASP rules about rate limits: owasp:api4:2023-rate-limit, -rate-limit-retry-after, -rate-limit-responses-429. */
const RATE_LIMIT_RULE = /^owasp:api4:\d{4}-rate-limit/;

/**
 * Findings that do not apply, by rule and place, each with its reason. GET /v1/webhook-endpoints takes no input
 * (no path parameter, no query, no body), so it has no 400 or 422 to document, as GET /v1/admin/ledger/verify
 * (exempted from the same rule in docs/spectral.yaml's overrides); test/e2e/openapi.spec.ts lists both as taking no input.
 */
const NOT_APPLICABLE: { code: string; path: string }[] = [
  { code: 'owasp:api8:2023-define-error-validation', path: 'paths./v1/webhook-endpoints.get.responses' },
];

interface SpectralResult {
  code: string;
  message: string;
  path: string[];
  severity: 0 | 1 | 2 | 3;
}

/** The document built from the module graph as `npm run openapi` builds it (no database), with the given limits. */
async function createPreviewDocument(rateLimits: Parameters<typeof createOpenApiDocument>[1]['rateLimits']) {
  const app = await NestFactory.create(AppModule.forRoot({ databaseUrl: 'postgres://openapi-preview.invalid/none' }), { preview: true, logger: false });
  try {
    return createOpenApiDocument(app, { rateLimits });
  } finally {
    await app.close();
  }
}

describe('OpenAPI document: committed, valid, linted (e2e)', () => {
  let t: TestApp;
  let served: Record<string, unknown>;
  let workDir: string;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http.get('/docs-json').expect(200);
    served = res.body;
    workDir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  });
  afterAll(async () => {
    rmSync(workDir, { recursive: true, force: true });
    await t.close();
  });

  /** Writes a document where Spectral and the generator can read it. */
  const toFile = (name: string, document: unknown) => {
    const file = join(workDir, name);
    writeFileSync(file, serializeOpenApi(document));
    return file;
  };

  const lint = async (file: string): Promise<SpectralResult[]> => {
    // --fail-severity=hint: spectral exits non-zero on any finding; the JSON on stdout is what counts.
    const { stdout } = await run(SPECTRAL, ['lint', file, '--ruleset', RULESET, '--format', 'json', '--quiet', '--fail-severity', 'hint'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      if (!error.stdout) throw new Error(`spectral failed: ${error.stderr ?? String(error)}`);
      return { stdout: error.stdout };
    });
    return (JSON.parse(stdout) as SpectralResult[]).filter(
      (r) => !NOT_APPLICABLE.some((exempt) => exempt.code === r.code && exempt.path === r.path.join('.')),
    );
  };
  const summary = (results: SpectralResult[]) =>
    results.map((r) => `${SEVERITY[r.severity]} ${r.code} at ${r.path.join('.')}: ${r.message}`);

  it(`${OPENAPI_FILE} is exactly the document /docs-json serves (else: npm run build && npm run openapi)`, () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    expect(committed).toBe(serializeOpenApi(served));
  });

  it(`${CLIENT_SCHEMA} is what openapi-typescript makes of ${OPENAPI_FILE} (else: npm run client:generate)`, async () => {
    const file = toFile('served.json', served);
    const output = join(workDir, 'schema.ts');
    await run(OPENAPI_TYPESCRIPT, [file, '--output', output], { cwd: ROOT });
    expect(readFileSync(CLIENT_SCHEMA, 'utf8')).toBe(readFileSync(output, 'utf8'));
  });

  it('validates as OpenAPI 3', async () => {
    const result = await new Validator().validate(structuredClone(served) as Parameters<Validator['validate']>[0]);
    expect({ valid: result.valid, errors: result.errors }).toEqual({ valid: true, errors: undefined });
    expect(served.openapi).toMatch(/^3\.\d+\.\d+$/);
  });

  it('has no Spectral error or warning under docs/spectral.yaml (spectral:oas + OWASP API Security 2023)', async () => {
    const results = await lint(toFile('served.json', served));
    expect(summary(results.filter((r) => r.severity === 0))).toEqual([]);
    // and no warning either: the few that do not apply are switched off, with the reason, in docs/spectral.yaml.
    expect(summary(results.filter((r) => r.severity === 1))).toEqual([]);
  });

  it('as served by default, breaks none of the OWASP rate-limit rules: 429 with Retry-After and the RateLimit headers documented', async () => {
    const results = await lint(toFile('served.json', served));
    const ruleCodes = new Set(results.map((r) => r.code));
    expect(summary(results.filter((r) => RATE_LIMIT_RULE.test(r.code)))).toEqual([]);
    const paths = served.paths as Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    expect(Object.keys(paths['/v1/wallets'].post.responses['429'].headers ?? {})).toContain('Retry-After');
    expect(Object.keys(paths['/v1/wallets'].post.responses['201'].headers ?? {})).toContain('RateLimit');
    // The rules did run: the same document without its rate-limit parts breaks each of them.
    const stripped = await createPreviewDocument({ perKey: null, failedAuth: null });
    const strippedCodes = new Set((await lint(toFile('unlimited.json', stripped))).map((r) => r.code));
    for (const rule of ['owasp:api4:2023-rate-limit', 'owasp:api4:2023-rate-limit-responses-429']) {
      expect({ rule, firesWhenUndocumented: strippedCodes.has(rule), firesOnServed: ruleCodes.has(rule) }).toEqual({ rule, firesWhenUndocumented: true, firesOnServed: false });
    }
  });

  it('with both limits off documents no 429 and no rate-limit header, and breaks only the rate-limit rules for it', async () => {
    const document = await createPreviewDocument({ perKey: null, failedAuth: null });
    expect(JSON.stringify(document)).not.toMatch(/RateLimit|"429"|RATE_LIMITED/);
    const errors = (await lint(toFile('unlimited.json', document))).filter((r) => r.severity === 0);
    expect(summary(errors.filter((r) => !RATE_LIMIT_RULE.test(r.code)))).toEqual([]);
    expect((await new Validator().validate(structuredClone(document) as unknown as Parameters<Validator['validate']>[0])).valid).toBe(true);
  });

  it('with other limits (RATE_LIMIT_REQUESTS=50 per minute, no failed-authentication bound) is valid and has no Spectral error', async () => {
    const document = await createPreviewDocument(
      rateLimitSettings({ RATE_LIMIT_REQUESTS: 50, RATE_LIMIT_WINDOW_MS: 60_000, RATE_LIMIT_AUTH_FAILURES: 0, RATE_LIMIT_AUTH_WINDOW_MS: 60_000 }),
    );
    expect(document.info.description).toContain('Each API key may make 50 requests per 60 seconds');
    expect(document.paths['/health/live'].get?.responses['429']).toBeUndefined();
    // Without the failed-authentication bound a 401 carries no RateLimit header, and the document says so: the
    // rate-limit rule then names exactly the 401s, and nothing else is wrong.
    const errors = (await lint(toFile('per-minute.json', document))).filter((r) => r.severity === 0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.filter((r) => r.code !== 'owasp:api4:2023-rate-limit' || !r.path.includes('401')).map((r) => `${r.code} at ${r.path.join('.')}`)).toEqual([]);
    expect((await new Validator().validate(structuredClone(document) as unknown as Parameters<Validator['validate']>[0])).valid).toBe(true);
  });

  it('the preview-built document with the default limits (npm run openapi, no database) equals the served one', async () => {
    const document = await createPreviewDocument(rateLimitSettings(validateEnvironment({})));
    expect(serializeOpenApi(document)).toBe(serializeOpenApi(served));
  });
});
