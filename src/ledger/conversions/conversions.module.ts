import { Module } from '@nestjs/common';
import { MovementsModule } from '../movements/movements.module.js';
import { ConversionsController } from './conversions.controller.js';
import { ConversionsService } from './conversions.service.js';

/** POST /v1/conversions: money between currencies at an FX quote (the quotes themselves: src/fx/). */
@Module({
  imports: [MovementsModule],
  controllers: [ConversionsController],
  providers: [ConversionsService],
})
export class ConversionsModule {}
