import { Module } from '@nestjs/common';
import { FX_RATE_PROVIDER } from './fx-rate-provider.js';
import { FxDisplay } from './fx-display.js';
import { FxQuotesController } from './fx-quotes.controller.js';
import { FxQuotesService } from './fx-quotes.service.js';
import { FxRatesController } from './fx-rates.controller.js';
import { OperatorFxRateProvider } from './operator-fx-rate-provider.js';

/**
 * Exchange rates, FX quotes, and amounts shown in another currency. The rates come from FX_RATE_PROVIDER, here the
 * operator's table; to plug in a feed, bind FX_RATE_PROVIDER to a class of yours implementing FxRateProvider
 * (src/fx/fx-rate-provider.ts says what it must keep). Conversions themselves are money moves: src/ledger/conversions/.
 */
@Module({
  controllers: [FxRatesController, FxQuotesController],
  providers: [
    OperatorFxRateProvider,
    { provide: FX_RATE_PROVIDER, useExisting: OperatorFxRateProvider },
    FxQuotesService,
    FxDisplay,
  ],
  exports: [FX_RATE_PROVIDER, FxDisplay],
})
export class FxModule {}
