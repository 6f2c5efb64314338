import { Module } from '@nestjs/common';
import { LedgerEngine } from '../engine/ledger-engine.js';
import { LedgerReadsService } from './ledger-reads.service.js';
import { MovementsController } from './movements.controller.js';
import { PostingService } from './posting.service.js';

@Module({
  controllers: [MovementsController],
  providers: [LedgerEngine, PostingService, LedgerReadsService],
  exports: [LedgerEngine, PostingService],
})
export class MovementsModule {}
