import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { WalletMetrics } from '../observability/wallet-metrics.js';

/** Per endpoint: the oldest event not yet delivered to it (pending deliveries, and events not yet fanned out). */
const OLDEST_UNDELIVERED_SQL = `
  SELECT ep.id AS endpoint_id,
         extract(epoch FROM now() - least(
           (SELECT min(e.created_at) FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.sequence = d.event_sequence
             WHERE d.endpoint_id = ep.id AND d.status = 'pending'),
           (SELECT e.created_at FROM events e WHERE e.tenant_id = ep.tenant_id AND e.sequence > ep.fanned_out_through
             ORDER BY e.sequence LIMIT 1)))::float8 AS age_seconds
    FROM webhook_endpoints ep WHERE ep.status = 'enabled'`;

/**
 * Webhook delivery metrics, on the service's registry. The one exception to "no ids in labels": the age
 * gauge is per endpoint (an operator needs to know which receiver is behind); endpoints are few and
 * created by operators, not by traffic.
 */
@Injectable()
export class WebhookMetrics {
  private readonly deliveries: Counter<'outcome'>;
  private readonly retries: Counter;

  constructor(metrics: WalletMetrics, dataSource: DataSource) {
    this.deliveries = new Counter({
      name: 'wallet_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered (2xx), failed (retried later), gave_up (retried for WEBHOOK_RETRY_FOR_MS, now failed)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    for (const outcome of ['delivered', 'failed', 'gave_up']) this.deliveries.inc({ outcome }, 0);
    this.retries = new Counter({
      name: 'wallet_webhook_retries_total',
      help: 'Webhook attempts that were a retry of an earlier failed attempt',
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'wallet_webhook_oldest_undelivered_seconds',
      help: 'Per enabled endpoint: age of the oldest event not yet delivered to it (0 when none)',
      labelNames: ['endpoint'] as const,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        try {
          const rows: { endpoint_id: string; age_seconds: number | null }[] = await dataSource.query(OLDEST_UNDELIVERED_SQL);
          for (const row of rows) this.set({ endpoint: row.endpoint_id }, Math.max(0, row.age_seconds ?? 0));
        } catch {
          // the database is unavailable: the scrape still answers, without this series
        }
      },
    });
  }

  attempted(outcome: 'delivered' | 'failed' | 'gave_up', attempt: number): void {
    this.deliveries.inc({ outcome });
    if (attempt > 1) this.retries.inc();
  }
}
