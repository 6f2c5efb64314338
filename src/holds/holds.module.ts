import { Module } from '@nestjs/common';
import { TransactionsModule } from '../transactions/transactions.module.js';
import { HoldsController } from './holds.controller.js';
import { HoldsService } from './holds.service.js';
import { HoldsSweeper } from './holds.sweeper.js';

@Module({
  imports: [TransactionsModule],
  controllers: [HoldsController],
  providers: [HoldsService, HoldsSweeper],
  exports: [HoldsSweeper],
})
export class HoldsModule {}
