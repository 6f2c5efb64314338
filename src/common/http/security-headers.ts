import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';
import { IDEMPOTENCY_REPLAYED_HEADER } from './idempotency-header.js';

/**
 * Helmet's defaults on every response (nosniff, frame-ancestors 'none', a same-origin CSP, HSTS, …), with one
 * change: no `upgrade-insecure-requests`. The service speaks plain HTTP behind whatever terminates TLS, and the
 * directive would make a browser fetch the Swagger UI's own scripts over https from a plain-http /docs. The UI
 * needs nothing else: its scripts and styles are files under /docs, and helmet already allows inline styles
 * and data: images.
 */
export function useSecurityHeaders(app: INestApplication): void {
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
}

/** `CORS_ORIGINS` as a list; empty when unset. */
export function parseCorsOrigins(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
}

/**
 * No CORS unless origins are configured; then for those origins only, without credentials (callers send
 * an API key, not cookies), with the headers a browser client needs to send and to read.
 */
export function useCors(app: INestApplication, origins: string[]): void {
  if (origins.length === 0) return;
  app.enableCors({
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'PATCH'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: [
      'X-Request-Id',
      IDEMPOTENCY_REPLAYED_HEADER,
      'Retry-After',
      'RateLimit-Policy',
      'RateLimit',
      'Content-Disposition',
    ],
    credentials: false,
    maxAge: 600,
  });
}
