import { Module } from '@nestjs/common';
import { MovementsModule } from '../movements/movements.module.js';
import { HoldsController } from './holds.controller.js';
import { HoldsService } from './holds.service.js';
import { HoldsSweeper } from './holds.sweeper.js';

@Module({
  imports: [MovementsModule],
  controllers: [HoldsController],
  providers: [HoldsService, HoldsSweeper],
  exports: [HoldsSweeper],
})
export class HoldsModule {}
