import { InitialSchema1764070000000 } from './1764070000000-initial-schema.js';
import { HoldsAndRefunds1764200000000 } from './1764200000000-holds-and-refunds.js';
import { EntryTimeInLedgerOrder1764300000000 } from './1764300000000-entry-time-in-ledger-order.js';
import { LedgerByTime1764300000001 } from './1764300000001-ledger-by-time.js';

/** Listed explicitly (not globbed) so the same list works compiled, under ts-jest and in the CLI. */
export const MIGRATIONS = [InitialSchema1764070000000, HoldsAndRefunds1764200000000, EntryTimeInLedgerOrder1764300000000,
  LedgerByTime1764300000001,
];
