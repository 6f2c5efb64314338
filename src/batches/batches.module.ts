import { Module } from '@nestjs/common';
import { TransactionsModule } from '../transactions/transactions.module.js';
import { BatchesController } from './batches.controller.js';
import { BatchesService } from './batches.service.js';

@Module({
  imports: [TransactionsModule],
  controllers: [BatchesController],
  providers: [BatchesService],
})
export class BatchesModule {}
