import { Module } from '@nestjs/common';
import { LedgerReadsService } from './ledger-reads.service.js';
import { MovementsController } from './movements.controller.js';
import { PostingService } from './posting.service.js';

@Module({
  controllers: [MovementsController],
  providers: [PostingService, LedgerReadsService],
  exports: [PostingService],
})
export class TransactionsModule {}
