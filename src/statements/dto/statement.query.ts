import { OptionalDateTime } from './date-time.js';

export class StatementQuery {
  @OptionalDateTime('Start of the period, inclusive. Default: the beginning of the ledger (1970-01-01T00:00:00Z).', '2026-11-01T00:00:00Z')
  from?: string;

  @OptionalDateTime('End of the period, exclusive. Default: now. A moment in the future gives the statement so far.', '2026-12-01T00:00:00Z')
  to?: string;
}
