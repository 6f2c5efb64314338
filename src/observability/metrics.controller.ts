import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../common/errors/domain-error.js';
import type { Environment } from '../config/environment.js';
import { WalletMetrics } from './wallet-metrics.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Prometheus text exposition at GET /metrics, outside /v1 and the OpenAPI document. Open by default (it
 * shows counts, never ids or money); with METRICS_TOKEN set it needs `Authorization: Bearer <token>`,
 * compared as SHA-256 digests with timingSafeEqual. API keys do not open it, and it never reads the database:
 * the pool gauges are read from the pool object in memory. Scrapes are access-logged at debug, not info.
 *
 * Never rate-limited: both limits (common/rate-limit) apply in ApiKeyGuard, which this controller does not use,
 * so a scrape counts against no key and a refused one (401) against no address.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly tokenDigest: Buffer | null;

  constructor(
    private readonly metrics: WalletMetrics,
    config: ConfigService<Environment, true>,
  ) {
    const token = config.get('METRICS_TOKEN', { infer: true });
    this.tokenDigest = token ? digest(token) : null;
  }

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) response: Response): Promise<string> {
    this.authorize(authorization);
    const body = await this.metrics.exposition();
    response.setHeader('Content-Type', this.metrics.contentType);
    response.setHeader('Cache-Control', 'no-store');
    return body;
  }

  private authorize(header: string | undefined): void {
    if (!this.tokenDigest) return;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new DomainError('UNAUTHORIZED', 'Send the metrics token as "Authorization: Bearer <token>".');
    if (!timingSafeEqual(this.tokenDigest, digest(match[1]))) throw new DomainError('UNAUTHORIZED', 'The metrics token is not valid.');
  }
}
