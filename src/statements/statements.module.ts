import { Module } from '@nestjs/common';
import { CsvExporter } from './csv-export.js';
import { ReportsController } from './reports.controller.js';
import { ReportsService } from './reports.service.js';
import { StatementsController } from './statements.controller.js';
import { StatementsService } from './statements.service.js';

/** Reads over time: wallet statements (JSON or streamed CSV), balances at a past moment, monthly reports. */
@Module({
  controllers: [StatementsController, ReportsController],
  providers: [StatementsService, ReportsService, CsvExporter],
})
export class StatementsModule {}
