import { Module } from '@nestjs/common';
import { MovementsModule } from '../movements/movements.module.js';
import { BatchesController } from './batches.controller.js';
import { BatchesService } from './batches.service.js';

@Module({
  imports: [MovementsModule],
  controllers: [BatchesController],
  providers: [BatchesService],
})
export class BatchesModule {}
