import { Controller, Get, Query, Res } from '@nestjs/common';
import { Tenant } from '../auth/tenant.decorator.js';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { MonthlyReportQuery } from './dto/monthly-report.query.js';
import { MONTHLY_REPORT_CSV_COLUMNS, ReportsService } from './reports.service.js';

const MONTHLY_REPORT_CSV_EXAMPLE = [
  MONTHLY_REPORT_CSV_COLUMNS.join(','),
  'day,2026-11-03,deposit,,12,48000,,,EUR,,',
  'day,2026-11-03,transfer,,3,7500,,,EUR,,',
  'day,2026-11-04,capture,,2,3980,,,EUR,,',
  'day,2026-11-04,conversion,,1,5000,,,EUR,,',
  'day,2026-11-05,refund,,1,1990,,,EUR,,',
  'month,2026-11,capture,,2,3980,,,EUR,,',
  'month,2026-11,conversion,,1,5000,,,EUR,,',
  'month,2026-11,deposit,,12,48000,,,EUR,,',
  'month,2026-11,refund,,1,1990,,,EUR,,',
  'month,2026-11,transfer,,3,7500,,,EUR,,',
  'capture_prefix,2026-11,capture,,1,1990,0,0,EUR,,',
  'capture_prefix,2026-11,capture,order,1,1990,1,1990,EUR,,',
  'conversion_pair,2026-11,conversion,,1,5000,,,EUR,USD,5421',
  'conversion_pair,2026-11,conversion,,2,3000,,,USD,EUR,2760',
  '',
].join('\r\n');

@ApiTags('reports')
@ApiKeyAuth()
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('monthly')
  @ApiOperation({
    summary: "The accountant's monthly turnover in one currency, as CSV",
    description:
      'All transactions of the currency stamped in the calendar month (UTC), as an RFC 4180 CSV attachment (CRLF, header row ' +
      `\`${MONTHLY_REPORT_CSV_COLUMNS.join(',')}\`). Amounts are integer minor units; \`amount\` is a sum of transaction amounts ` +
      '(always positive; the type says which way money went). Rows, in this order:\n\n' +
      '- `day`: per UTC day (`period` YYYY-MM-DD) and `type`, the `count` and `amount` of transactions; only days and types that had any.\n' +
      '- `month`: per `type`, the whole month (`period` YYYY-MM).\n' +
      '- `capture_prefix`: per reference prefix, the month\'s captures (`count`, `amount` captured) and the refunds of captures ' +
      'posted in the month (`refundCount`, `refundedAmount`), grouped by the prefix of the capture they reverse (which may be ' +
      "from an earlier month). The prefix is the reference up to its first ':' (`order:1042` → `order`), the whole reference " +
      "when it has no ':', and empty for a capture without reference.\n" +
      '- `conversion_pair`: the month\'s conversions into or out of the currency, per pair: `count`, `amount` converted in the ' +
      'row\'s `currency` (the pair\'s source) and `convertedAmount` received in `toCurrency`. Every other row is in the report\'s ' +
      'currency, with `toCurrency` and `convertedAmount` empty; its `day` and `month` rows count conversions out of the currency ' +
      '(their amount in it).\n\n' +
      "Text that a spreadsheet would run as a formula (starting with = + - @) is written with a leading '.",
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'The report as a CSV attachment (Content-Disposition: attachment; filename="monthly-report-YYYY-MM-CUR.csv")',
    // No schema: a streamed CSV has no length bound to declare (one row per wallet and prefix).
    content: { 'text/csv': { example: MONTHLY_REPORT_CSV_EXAMPLE } },
    headers: {
      'Content-Disposition': {
        description: 'attachment; filename="monthly-report-2026-11-EUR.csv"',
        schema: { type: 'string', maxLength: 100, pattern: '^attachment; filename="monthly-report-[0-9]{4}-[0-9]{2}-[A-Z]{3}\\.csv"$' },
      },
    },
  })
  @ApiProblemResponses(400)
  async monthly(@Tenant() tenantId: string, @Query() query: MonthlyReportQuery, @Res() response: Response): Promise<void> {
    await this.reports.streamMonthlyCsv(tenantId, query, response);
  }
}
