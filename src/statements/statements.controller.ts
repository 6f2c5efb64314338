import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { Tenant } from '../auth/tenant.decorator.js';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { uuidParam } from '../common/http/uuid-param.js';
import { BalanceAtDto } from './dto/balance-at.dto.js';
import { BalanceAtQuery } from './dto/balance-at.query.js';
import { MAX_STATEMENT_JSON_ENTRIES, StatementDto } from './dto/statement.dto.js';
import { StatementQuery } from './dto/statement.query.js';
import { STATEMENT_CSV_COLUMNS, StatementsService } from './statements.service.js';

const STATEMENT_CSV_EXAMPLE = [
  STATEMENT_CSV_COLUMNS.join(','),
  'opening,,2026-11-01T00:00:00.000Z,,,,,,10000,EUR',
  'entry,18234,2026-11-03T09:15:27.120Z,019a5f3c-7d2e-7b41-9c3a-2f5e8d1b6a90,deposit,card-7731,"Top-up, by card",2500,12500,EUR',
  'entry,18240,2026-11-04T17:02:11.004Z,019a6a01-1c4b-7e22-8f10-5b2d9e7c3a11,capture,order:1042,,-1990,10510,EUR',
  'closing,,2026-12-01T00:00:00.000Z,,,,,,10510,EUR',
  '',
].join('\r\n');

@ApiTags('statements')
@ApiKeyAuth()
@Controller('v1/wallets')
export class StatementsController {
  constructor(private readonly statements: StatementsService) {}

  @Get(':id/statement')
  @ApiOperation({
    summary: "A wallet's statement for a period: opening balance, every entry with its running balance, closing balance",
    description:
      'The period is [from, to): entries stamped at or after `from` and before `to`, in ledger order (entry number). ' +
      '`openingBalance` is the balance just before `from`, `closingBalance` the last running balance (the opening one when ' +
      'the period has no entries), so openingBalance + Σ amount = closingBalance. Amounts are signed minor units.\n\n' +
      `**JSON** (the default) carries at most ${MAX_STATEMENT_JSON_ENTRIES} entries; a period with more is refused with 400 ` +
      'VALIDATION_FAILED: narrow it or ask for CSV.\n\n' +
      '**CSV** with `Accept: text/csv`: streamed from the database without a size limit, as an attachment. RFC 4180 (CRLF, ' +
      `quotes when needed), header row \`${STATEMENT_CSV_COLUMNS.join(',')}\`, then one \`opening\` row (createdAt = from, ` +
      'balanceAfter = opening balance, hash = openingHash), one `entry` row per entry, and one `closing` row last (createdAt = to, ' +
      'balanceAfter = closing balance, hash = closingHash); a file without its closing row was cut short. Text that a spreadsheet ' +
      "would run as a formula (starting with = + - @) is written with a leading '. Refusals are problem+json whatever the Accept header.\n\n" +
      "**Hashes**: each entry carries its link in the wallet's tamper-evident chain (SHA-256 over the previous entry's hash and " +
      "the entry's content); `openingHash` is the hash before the period, `closingHash` its last. The JSON form carries every " +
      'field the hash covers, so anyone can recompute the chain (README "Checking a statement").',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiExtraModels(StatementDto)
  @ApiOkResponse({
    description: 'The statement, as JSON or (Accept: text/csv) as a streamed CSV attachment',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(StatementDto) } },
      // No schema: a streamed CSV has no length bound to declare (as many rows as the period has).
      'text/csv': { example: STATEMENT_CSV_EXAMPLE },
    },
  })
  @ApiProblemResponses(400, 404)
  async statement(
    @Tenant() tenantId: string,
    @Param('id', uuidParam('id')) walletId: string,
    @Query() query: StatementQuery,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const period = this.statements.period(query);
    response.vary('Accept');
    if (request.accepts(['application/json', 'text/csv']) === 'text/csv') {
      await this.statements.streamStatementCsv(tenantId, walletId, period, response);
    } else {
      response.status(200).json(await this.statements.statement(tenantId, walletId, period));
    }
  }

  @Get(':id/balance')
  @ApiOperation({
    summary: 'Balance, held and available as they stood at a moment in the past',
    description:
      '`balance` is the running balance of the last entry stamped at or before `at` (0 before the first); `held` the sum of ' +
      'the holds placed at or before `at` that had not been captured, voided or expired by then; `available` = balance − held. ' +
      'Without `at`: now, which agrees with GET /v1/wallets/{id}.',
  })
  @ApiOkResponse({ type: BalanceAtDto })
  @ApiProblemResponses(400, 404)
  balanceAt(@Tenant() tenantId: string, @Param('id', uuidParam('id')) walletId: string, @Query() query: BalanceAtQuery): Promise<BalanceAtDto> {
    return this.statements.balanceAt(tenantId, walletId, query);
  }
}
