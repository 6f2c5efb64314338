import { OptionalDateTime } from './date-time.js';

export class BalanceAtQuery {
  @OptionalDateTime('The moment to look at; entries and holds stamped at it count. Default: now. Not in the future.', '2026-11-15T12:00:00Z')
  at?: string;
}
