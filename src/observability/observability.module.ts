import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { RequestObserver } from './request-observer.js';
import { WalletMetrics } from './wallet-metrics.js';

/** Prometheus metrics (the registry every recorder writes to, GET /metrics) and the per-request timing and access log. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [WalletMetrics, RequestObserver],
  exports: [WalletMetrics],
})
export class ObservabilityModule {}
