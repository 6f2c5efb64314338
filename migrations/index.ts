import { InitialSchema1764070000000 } from './1764070000000-initial-schema.js';
import { HoldsAndRefunds1764200000000 } from './1764200000000-holds-and-refunds.js';
import { EntryTimeInLedgerOrder1764300000000 } from './1764300000000-entry-time-in-ledger-order.js';
import { LedgerByTime1764300000001 } from './1764300000001-ledger-by-time.js';
import { LedgerRulesOnce1764400000000 } from './1764400000000-ledger-rules-once.js';
import { GroupPosting1764500000000 } from './1764500000000-group-posting.js';
import { EventsAndWebhooks1764600000000 } from './1764600000000-events-and-webhooks.js';
import { MoneyControls1764700000000 } from './1764700000000-money-controls.js';
import { Currencies1764800000000 } from './1764800000000-currencies.js';

/**
 * Listed explicitly (not globbed) so the same list works compiled, under ts-jest and in the CLI.
 *
 * Migrations do not import each other. A migration that creates or changes SQL functions applies files of
 * its own, `migrations/sql/<its timestamp>/<function>.sql` (read by sql-file.ts), frozen as they were when it
 * was written: they are never edited, and a down() that restores an older body reads the older migration's
 * frozen file. The functions as they run today are in src/ledger/sql/<function>.sql; a change to a function
 * is an edit of that file plus a new migration whose folder holds a copy of the new text.
 * test/integration/ledger-sql.spec.ts fails when a freshly migrated database and src/ledger/sql/ disagree.
 */
export const MIGRATIONS = [InitialSchema1764070000000, HoldsAndRefunds1764200000000, EntryTimeInLedgerOrder1764300000000,
  LedgerByTime1764300000001, LedgerRulesOnce1764400000000, GroupPosting1764500000000,
  EventsAndWebhooks1764600000000, MoneyControls1764700000000, Currencies1764800000000,
];
