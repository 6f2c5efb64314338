import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator.js';
import { RequireScope } from '../../auth/api-key.guard.js';
import { LEDGER_REPORT_EXAMPLES, LedgerReportDto } from './dto/ledger-report.dto.js';
import { LedgerVerifier } from './ledger-verifier.js';

/**
 * Operator endpoints: they need a key with the `admin` scope, and see the whole ledger, every tenant's
 * (give `admin` to the platform operator's keys only).
 *
 * Drift answers 200 with `ok: false`, not an error status: the call itself succeeded, and its answer
 * is a finding about the data. A 5xx would tell clients and proxies the service failed (and invite
 * retries, alerts on the wrong thing, and bodies dropped by tools that treat errors as empty), while
 * a 4xx would blame the caller. Monitoring alerts on `ok`; real failures (database unavailable, a
 * check past statement_timeout on a very large ledger) still answer 503 problem+json.
 */
@ApiTags('admin')
@ApiKeyAuth()
@RequireScope('admin')
@Controller('v1/admin/ledger')
export class LedgerAdminController {
  constructor(private readonly verifier: LedgerVerifier) {}

  @Get('verify')
  @ApiOperation({
    summary: 'Recompute the ledger and report drift',
    description:
      'Recomputes every wallet balance and held amount from its entries and active holds, checks that every transaction ' +
      'has entries summing to zero, that wallets and system accounts balance per currency, and that refunded and captured ' +
      'amounts match their transactions, and that every wallet\'s chain of entry hashes is intact (naming the first broken entry ' +
      'per wallet) and ends at the hash its wallet row remembers — all in one read-only snapshot. Answers 200 whether or not drift was found: ' +
      '`ok` says which, `drift` lists up to `driftLimitPerCheck` findings per check. Money values are decimal strings. ' +
      'For very large ledgers use `npm run ledger:verify`, which has no statement timeout to respect.',
  })
  @ApiOkResponse({ type: LedgerReportDto, description: 'The report; ok: false when any check found drift', examples: LEDGER_REPORT_EXAMPLES })
  // 401, 403 and 503 come with @ApiKeyAuth(); the call takes no input, so there is no 400 or 404 to give.
  verify(): Promise<LedgerReportDto> {
    return this.verifier.verify();
  }
}
