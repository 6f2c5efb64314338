import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../config/environment.js';
import { LedgerEngine, POSTING_SETTINGS, type PostingSettings } from '../engine/ledger-engine.js';
import { LedgerReadsService } from './ledger-reads.service.js';
import { MovementsController } from './movements.controller.js';
import { PostingService } from './posting.service.js';

@Module({
  controllers: [MovementsController],
  providers: [
    {
      provide: POSTING_SETTINGS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>): PostingSettings => ({
        maxInFlight: config.get('POSTING_MAX_IN_FLIGHT', { infer: true }),
        maxGroupSize: config.get('POSTING_MAX_GROUP_SIZE', { infer: true }),
      }),
    },
    LedgerEngine,
    PostingService,
    LedgerReadsService,
  ],
  exports: [LedgerEngine, PostingService],
})
export class MovementsModule {}
