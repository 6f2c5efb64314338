import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { Environment } from '../config/environment.js';

const PRUNE_EVERY_MS = 10 * 60 * 1000;
const PRUNE_BATCH_ROWS = 5_000;

/** Deletes idempotency records older than IDEMPOTENCY_TTL_HOURS, in small batches so no long lock is held. */
@Injectable()
export class IdempotencyPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyPruner.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.prune().catch((err) => this.logger.warn({ err }, 'pruning idempotency keys failed')), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns how many records were deleted. */
  async prune(): Promise<number> {
    const ttlHours = this.config.get('IDEMPOTENCY_TTL_HOURS', { infer: true });
    let deleted = 0;
    for (;;) {
      const [, count] = await this.dataSource.query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) LIMIT $2)`,
        [ttlHours, PRUNE_BATCH_ROWS],
      );
      deleted += count;
      if (count < PRUNE_BATCH_ROWS) return deleted;
    }
  }
}
