import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment.js';
import { WEBHOOK_DELIVERY, WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookEndpointsController } from './webhook-endpoints.controller.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import { WebhookMetrics } from './webhook-metrics.js';

/**
 * Webhooks. In the API process: the endpoints' routes, and delivery unless WEBHOOK_WORKER=false. In the
 * worker process (src/worker.ts, `npm run worker`): delivery only.
 */
@Module({})
export class WebhooksModule {
  static forRoot(role: 'api' | 'worker'): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: role === 'api' ? [WebhookEndpointsController] : [],
      providers: [
        ...(role === 'api' ? [WebhookEndpointsService] : []),
        WebhookMetrics,
        WebhookDispatcher,
        {
          provide: WEBHOOK_DELIVERY,
          inject: [ConfigService],
          useFactory: (config: ConfigService<Environment, true>) => role === 'worker' || config.get('WEBHOOK_WORKER', { infer: true }),
        },
      ],
      exports: [WebhookDispatcher],
    };
  }
}
