import type { HoldStatus } from './hold.entity.js';

/**
 * The due-hold rule, as TypeScript needs it (the SQL side is `hold_is_due` / `hold_status_at`,
 * src/ledger/sql/): a hold still `active` in the table whose `expires_at` has come is expired for every
 * reader and every funds check, before the sweeper or the next writer on its wallet marks it so.
 */
export function isHoldDue(status: HoldStatus, expiresAt: Date | string | null, at: Date): boolean {
  return status === 'active' && expiresAt !== null && new Date(expiresAt) <= at;
}

/** The status a reader sees at `at`. */
export function holdStatusAt(status: HoldStatus, expiresAt: Date | string | null, at: Date): HoldStatus {
  return isHoldDue(status, expiresAt, at) ? 'expired' : status;
}
