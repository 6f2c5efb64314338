import { Global, Module } from '@nestjs/common';
import { IdempotencyPruner } from './idempotency.pruner.js';
import { IdempotencyStore } from './idempotency.store.js';

@Global()
@Module({ providers: [IdempotencyStore, IdempotencyPruner], exports: [IdempotencyStore] })
export class IdempotencyModule {}
