import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import type { Environment } from '../../config/environment.js';
import { WalletMetrics } from '../../observability/wallet-metrics.js';

const SWEEP_BATCH_WALLETS = 500;

/**
 * Marks due holds expired and takes them out of their wallets' held amounts. Reads and funds checks
 * already treat a due hold as expired, so this only keeps the stored figures tidy; it can lag without
 * anyone seeing wrong money. Each batch locks its wallets with FOR UPDATE SKIP LOCKED — wallet first,
 * as every writer of holds does — so several replicas sweep side by side and never wait on a payment.
 */
@Injectable()
export class HoldsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HoldsSweeper.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly config: ConfigService<Environment, true>,
    private readonly metrics: WalletMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const everyMs = this.config.get('HOLD_SWEEP_INTERVAL_MS', { infer: true });
    if (everyMs === 0) return;
    this.timer = setInterval(() => void this.sweepInBackground(), everyMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Expires every hold due by now; returns how many. */
  async sweep(): Promise<number> {
    let expired = 0;
    for (;;) {
      const [row] = await this.dataSource.query(SWEEP_BATCH, [this.clock.now(), SWEEP_BATCH_WALLETS]);
      // Done when a batch finds nothing it can take: what is left is due on wallets someone holds
      // right now; the next sweep (or the next payment from that wallet) releases it.
      if (Number(row.expired) === 0) return expired;
      expired += Number(row.expired);
      this.metrics.holdsSwept(Number(row.expired));
    }
  }

  private async sweepInBackground(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const expired = await this.sweep();
      if (expired > 0) this.logger.log({ expired }, 'expired due holds');
    } catch (err) {
      this.logger.warn({ err }, 'sweeping due holds failed');
    } finally {
      this.running = false;
    }
  }
}

/**
 * One batch: lock up to $2 wallets that have due holds, skipping any that someone holds right now
 * (SKIP LOCKED is applied before the LIMIT, so locked wallets never use up the batch), expire their
 * due holds, and lower each wallet's held amount by what was released (and its debit usage by what of it counted
 * in the wallet's current period, as release_due_holds does). A hold captured or voided
 * between the snapshot and the lock is re-checked by the UPDATE and left alone.
 */
const SWEEP_BATCH = `
  WITH due_wallets AS (
    SELECT w.id FROM wallets w
     WHERE w.id IN (SELECT h.wallet_id FROM holds h WHERE hold_is_due(h.status, h.expires_at, $1))
     LIMIT $2
     FOR UPDATE SKIP LOCKED
  ), released AS (
    UPDATE holds h SET status = 'expired', released_at = h.expires_at
      FROM due_wallets d
     WHERE h.wallet_id = d.id AND hold_is_due(h.status, h.expires_at, $1)
    RETURNING h.wallet_id, h.amount, h.debit_counted_on
  ), per_wallet AS (
    SELECT wallet_id, sum(amount) AS amount, count(*) AS holds, array_agg(amount) AS amounts, array_agg(debit_counted_on) AS counted_on
      FROM released GROUP BY wallet_id
  ), updated AS (
    UPDATE wallets w SET held = w.held - p.amount, version = w.version + 1, updated_at = $1,
           debit_day_used = w.debit_day_used - (SELECT sum(debit_usage_returned(w.debit_period, r.counted_on, r.amount, false))
                                                  FROM unnest(p.amounts, p.counted_on) r(amount, counted_on)),
           debit_month_used = w.debit_month_used - (SELECT sum(debit_usage_returned(w.debit_period, r.counted_on, r.amount, true))
                                                      FROM unnest(p.amounts, p.counted_on) r(amount, counted_on))
      FROM per_wallet p WHERE w.id = p.wallet_id
    RETURNING p.holds
  )
  SELECT coalesce(sum(holds), 0) AS expired FROM updated`;
