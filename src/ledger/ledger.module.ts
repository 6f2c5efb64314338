import { Module } from '@nestjs/common';
import { BatchesModule } from './batches/batches.module.js';
import { ConversionsModule } from './conversions/conversions.module.js';
import { HoldsModule } from './holds/holds.module.js';
import { MovementsModule } from './movements/movements.module.js';
import { LedgerVerifyModule } from './verify/ledger-verify.module.js';

/**
 * The money path: every route that moves money (movements, refunds, holds, conversions, batches), the engine they all
 * post through (engine/ → sql/), the ledger's tables (model/) and its self-check (verify/).
 */
@Module({
  imports: [MovementsModule, HoldsModule, ConversionsModule, BatchesModule, LedgerVerifyModule],
})
export class LedgerModule {}
