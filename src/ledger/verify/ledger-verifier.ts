import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Every invariant the self-check recomputes, with what `expected` and `actual` mean for it. `expected`
 * comes from the source of truth (entries, holds, the transactions that name a row); `actual` is what
 * is stored or asserted. Either is null when the row it would come from does not exist.
 */
export const LEDGER_CHECKS = {
  wallet_balance_equals_entries:
    "wallets.balance = the sum of the wallet's entries (0 without entries). expected: that sum; actual: balance, null when entries name a wallet that does not exist.",
  wallet_balance_equals_last_entry:
    "wallets.balance = balance_after of the wallet's last entry (highest entries.id). expected: that balance_after; actual: balance.",
  wallet_held_equals_active_holds:
    "wallets.held = the sum of the wallet's holds with status 'active', including active holds past expires_at that no writer has swept yet. expected: that sum; actual: held, null when holds name a wallet that does not exist.",
  transaction_entries_sum_to_zero:
    "Every transaction has entries and they sum to zero in each currency on its own (a conversion's entries are in two). One finding per transaction and currency. expected: 0; actual: the sum, null when the transaction has no entries.",
  entries_have_transaction:
    'Every entry belongs to an existing transaction. expected: null (no such transaction); actual: the sum of the entries that name it (per currency).',
  entries_in_transaction_currency:
    "Every entry is in its transaction's tenant and in one of its currencies (currency, and a conversion's to_currency). expected: 0; actual: the sum of the absolute amounts of the entries that are not.",
  conversion_legs_match_quote:
    "A conversion's four entries are its amounts: −amount on fromWalletId and +amount on fx:<currency>, −converted_amount on fx:<to_currency> and +converted_amount on toWalletId (the transaction's amounts are its quote's by foreign key). expected: the first leg that differs, as it should be (or 4 entries); actual: as it is, null when missing.",
  currency_entries_sum_to_zero:
    'Per currency, all entries (wallets, world:XXX, revenue:XXX, fx:XXX) sum to zero, i.e. the system accounts balance the wallets. id: the currency; expected: 0; actual: the sum.',
  refunded_amount_equals_refunds:
    'transactions.refunded_amount = the sum of the refunds whose refund_of names it. expected: that sum; actual: refunded_amount, null when refunds name a transaction that does not exist.',
  hold_captured_amount_equals_capture:
    "A captured hold's captured_amount = the amount of its capture transaction (transactions.hold_id), and a hold that is not captured has none. expected: the capture's amount, null without one; actual: captured_amount, null when a capture names a hold that does not exist.",
  wallet_entry_chain_intact:
    "Every wallet entry's hash = SHA-256 over the hash of the wallet's entry before it (ledger order) and its own content: amount, balance after, time, wallet, and its transaction's id, type, reference, description and metadata (entry_hash.sql). Reported once per wallet, naming the first entry that breaks (entryId); the entries after it chain from its stored hash and are not reported. id: the wallet; expected: the recomputed hash; actual: the stored hash (hex).",
  wallet_chain_head_matches_last_entry:
    "wallets.last_entry_hash (what the next entry chains from) = the hash of the wallet's last entry, none without entries: a last entry removed or one added behind the service's back shows here. id: the wallet; expected: the last entry's hash, null without entries; actual: last_entry_hash, null when entries name a wallet that does not exist.",
} as const;

export type LedgerCheck = keyof typeof LEDGER_CHECKS;

/**
 * One broken invariant. Money values are decimal strings, not numbers: a sum over many rows, or a
 * corrupted column, can exceed 2^53 − 1 (the service's bound for amounts), and a self-check must never
 * report a rounded value. All comparisons happen in SQL, on numeric.
 */
export interface LedgerDrift {
  check: LedgerCheck;
  /** A wallet, transaction or hold id, or a currency code (currency_entries_sum_to_zero). */
  id: string;
  /** The chain checks: the entry named (the first that breaks its wallet's chain; the wallet's last). */
  entryId?: number;
  expected: string | null;
  actual: string | null;
  /** The same finding in words, with context (a hold's status, a transaction's type and amount, …). */
  detail: string;
}

export interface LedgerCheckResult {
  check: LedgerCheck;
  description: string;
  /** Every drift this check found; at most `driftLimitPerCheck` of them are listed in `drift`. */
  driftCount: number;
}

export interface LedgerReport {
  /** When the checking transaction began, on PostgreSQL's clock; its snapshot is taken right after. */
  checkedAt: string;
  ok: boolean;
  durationMs: number;
  /** Rows in the snapshot. Row counts stay far below 2^53, so they are plain numbers. */
  counts: { wallets: number; transactions: number; entries: number; holds: number };
  driftCount: number;
  driftLimitPerCheck: number;
  checks: LedgerCheckResult[];
  /** Ordered by check, then id; the first `driftLimitPerCheck` of each check. */
  drift: LedgerDrift[];
}

export const DRIFT_LIMIT_PER_CHECK = 100;

/*
 * Each query below reads whole tables once and joins aggregates by hash (or merges along an index when
 * the planner prefers it), so the cost grows linearly with the ledger: no per-row subquery, no loop in
 * Node. Each returns (check_name, id, expected, actual, detail) for the rows that drift. Measured with
 * EXPLAIN ANALYZE on 1.04 M entries; see README "Ledger self-check".
 */

/**
 * Checks 8 and 9 in one pass over the wallet entries in ledger order: each entry's hash is recomputed from the
 * stored hash of the entry before it (lag), so a changed entry breaks its own link only, and the first broken
 * entry of each wallet is the one reported. The chain is ordered by id, not by the (created_at, id) index, so a
 * changed stamp cannot reorder it: one sort of the wallet entries.
 */
const CHAINS_SQL = `
  WITH chained AS (
    SELECT e.id, e.wallet_id, e.transaction_id, e.created_at, e.hash,
           entry_hash(lag(e.hash) OVER w, e.wallet_id, e.amount, e.balance_after, e.created_at,
                      transaction_hash_text(t.id, t.type, t.reference, t.description, t.metadata)) AS recomputed,
           lag(e.id) OVER w AS previous_id,
           lead(e.id) OVER w IS NULL AS is_last
      FROM entries e LEFT JOIN transactions t ON t.id = e.transaction_id
     WHERE e.wallet_id IS NOT NULL
    WINDOW w AS (PARTITION BY e.wallet_id ORDER BY e.id)
  )
  (SELECT DISTINCT ON (wallet_id) 'wallet_entry_chain_intact' AS check_name, wallet_id::text AS id,
          encode(recomputed, 'hex') AS expected, encode(hash, 'hex') AS actual,
          format('entry %s (transaction %s, %s) does not hash to its stored hash from its content and %s: the entry or its '
                 || 'transaction was changed, or an entry before it removed or inserted, behind the service''s back',
                 id, transaction_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                 CASE WHEN previous_id IS NULL THEN 'no entry before it' ELSE format('the hash of entry %s', previous_id) END) AS detail,
          id AS entry_id
     FROM chained WHERE hash IS DISTINCT FROM recomputed ORDER BY wallet_id, id)
  UNION ALL
  SELECT 'wallet_chain_head_matches_last_entry', coalesce(w.id, l.wallet_id)::text, encode(l.hash, 'hex'), encode(w.last_entry_hash, 'hex'),
         CASE WHEN w.id IS NULL THEN format('entries end with entry %s on wallet %s, which does not exist', l.id, l.wallet_id)
              WHEN l.id IS NULL THEN 'the wallet has no entries but remembers a last entry hash'
              ELSE format('the wallet''s last entry is %s, but the wallet remembers another hash: an entry was removed after it or '
                          || 'added before the wallet''s row was written, behind the service''s back', l.id) END,
         l.id
    FROM wallets w FULL JOIN (SELECT wallet_id, id, hash FROM chained WHERE is_last) l ON l.wallet_id = w.id
   WHERE w.last_entry_hash IS DISTINCT FROM l.hash`;

/** Checks 1 and 2 in one pass over the wallet entries. */
const WALLET_BALANCES_SQL = `
  WITH entry_totals AS (
    -- Arrays compare element by element and entry ids are unique, so max(ARRAY[id, balance_after]) is the
    -- last entry's pair: the balance it left, found in the same hash aggregate as the sum.
    SELECT wallet_id, sum(amount) AS total, (max(ARRAY[id, balance_after]))[2] AS last_balance_after
      FROM entries WHERE wallet_id IS NOT NULL GROUP BY wallet_id
  ), balances AS (
    SELECT coalesce(w.id, t.wallet_id) AS wallet_id, w.balance, coalesce(t.total, 0) AS total, t.last_balance_after
      FROM wallets w FULL JOIN entry_totals t ON t.wallet_id = w.id
  )
  SELECT 'wallet_balance_equals_entries' AS check_name, wallet_id::text AS id, total::text AS expected,
         balance::text AS actual,
         CASE WHEN balance IS NULL THEN format('entries sum to %s on wallet %s, which does not exist', total, wallet_id)
              ELSE format('balance %s; its entries sum to %s', balance, total) END AS detail
    FROM balances WHERE balance IS DISTINCT FROM total
  UNION ALL
  SELECT 'wallet_balance_equals_last_entry', wallet_id::text, last_balance_after::text, balance::text,
         format('balance %s; its last entry left %s', balance, last_balance_after)
    FROM balances WHERE balance <> last_balance_after`;

/** Check 3. The stored held still includes active holds past expires_at until a writer or the sweeper releases them. */
const WALLET_HELD_SQL = `
  SELECT 'wallet_held_equals_active_holds' AS check_name, coalesce(w.id, h.wallet_id)::text AS id,
         coalesce(h.total, 0)::text AS expected, w.held::text AS actual,
         CASE WHEN w.id IS NULL THEN format('%s active holds (sum %s) on wallet %s, which does not exist', h.n, h.total, h.wallet_id)
              ELSE format('held %s; its %s active holds sum to %s', w.held, coalesce(h.n, 0), coalesce(h.total, 0)) END AS detail
    FROM wallets w
    FULL JOIN (SELECT wallet_id, sum(amount) AS total, count(*) AS n FROM holds WHERE status = 'active' GROUP BY wallet_id) h
      ON h.wallet_id = w.id
   WHERE w.held IS DISTINCT FROM coalesce(h.total, 0)`;

/**
 * Checks 4 and 5 in one pass over the entries, summed per transaction, currency and tenant: that each transaction's
 * entries sum to zero in each currency, that its transaction exists (the mirror of 4), and that they are in its
 * tenant and one of its currencies (a foreign key cannot say "one of two currencies"). `joined` is read twice and
 * computed once.
 */
const TRANSACTION_ENTRIES_SQL = `
  WITH per_group AS (
    SELECT transaction_id, currency, tenant_id AS entry_tenant_id, sum(amount) AS total, sum(abs(amount)) AS volume, count(*) AS n
      FROM entries GROUP BY transaction_id, currency, tenant_id
  ), joined AS (
    SELECT t.id, t.type, t.amount, t.currency AS transaction_currency, t.to_currency, t.tenant_id, g.*
      FROM transactions t FULL JOIN per_group g ON g.transaction_id = t.id
  ), per_currency AS (
    SELECT id, type, amount, transaction_currency, transaction_id, currency, sum(total) AS total, sum(n) AS n
      FROM joined GROUP BY id, type, amount, transaction_currency, transaction_id, currency
  )
  SELECT CASE WHEN id IS NULL THEN 'entries_have_transaction' ELSE 'transaction_entries_sum_to_zero' END AS check_name,
         coalesce(id, transaction_id)::text AS id,
         CASE WHEN id IS NOT NULL THEN '0' END AS expected,
         total::text AS actual,
         CASE WHEN id IS NULL
                THEN format('%s entries in %s (sum %s) name transaction %s, which does not exist', n, currency, total, transaction_id)
              WHEN transaction_id IS NULL THEN format('%s of %s %s has no entries', type, amount, transaction_currency)
              ELSE format('%s of %s %s: its %s entries in %s sum to %s', type, amount, transaction_currency, n, currency, total) END AS detail
    FROM per_currency
   WHERE id IS NULL OR transaction_id IS NULL OR total <> 0
  UNION ALL
  SELECT 'entries_in_transaction_currency', id::text, '0', sum(volume)::text,
         format('%s of %s %s (tenant %s): %s entries in %s', type, amount, transaction_currency, tenant_id, sum(n),
                string_agg(currency || ' of tenant ' || entry_tenant_id, ', ' ORDER BY currency, entry_tenant_id))
    FROM joined
   WHERE id IS NOT NULL AND transaction_id IS NOT NULL
     AND (currency NOT IN (transaction_currency, coalesce(to_currency, transaction_currency)) OR entry_tenant_id <> tenant_id)
   GROUP BY id, type, amount, transaction_currency, tenant_id`;

/** Check 6: each leg of a conversion, the first one that differs. */
const CONVERSION_LEGS_SQL = `
  WITH legs AS (
    SELECT t.id, t.amount, t.currency, t.converted_amount, t.to_currency, count(e.id) AS n,
           sum(e.amount) FILTER (WHERE e.wallet_id = t.from_wallet_id AND e.currency = t.currency) AS paid,
           sum(e.amount) FILTER (WHERE e.account = 'fx:' || t.currency) AS fx_from,
           sum(e.amount) FILTER (WHERE e.account = 'fx:' || t.to_currency) AS fx_to,
           sum(e.amount) FILTER (WHERE e.wallet_id = t.to_wallet_id AND e.currency = t.to_currency) AS received
      FROM transactions t LEFT JOIN entries e ON e.transaction_id = t.id
     WHERE t.type = 'conversion'
     GROUP BY t.id
  ), differing AS (
    SELECT id, n, CASE
             WHEN paid IS DISTINCT FROM -amount THEN ARRAY['the paying wallet (' || currency || ')', (-amount)::text, paid::text]
             WHEN fx_from IS DISTINCT FROM amount THEN ARRAY['fx:' || currency, amount::text, fx_from::text]
             WHEN fx_to IS DISTINCT FROM -converted_amount THEN ARRAY['fx:' || to_currency, (-converted_amount)::text, fx_to::text]
             WHEN received IS DISTINCT FROM converted_amount
               THEN ARRAY['the receiving wallet (' || to_currency || ')', converted_amount::text, received::text]
             WHEN n <> 4 THEN ARRAY['the number of entries', '4', n::text]
           END AS leg
      FROM legs
  )
  SELECT 'conversion_legs_match_quote' AS check_name, id::text AS id, leg[2] AS expected, leg[3] AS actual,
         format('%s: %s expected, %s found (%s entries)', leg[1], leg[2], coalesce(leg[3], 'none'), n) AS detail
    FROM differing WHERE leg IS NOT NULL`;

/** Check 7: wallets and system accounts together, per currency. */
const CURRENCY_TOTALS_SQL = `
  SELECT 'currency_entries_sum_to_zero' AS check_name, currency::text AS id, '0' AS expected, sum(amount)::text AS actual,
         format('wallets %s, world:%s %s, revenue:%s %s, fx:%s %s',
                coalesce(sum(amount) FILTER (WHERE wallet_id IS NOT NULL), 0),
                currency, coalesce(sum(amount) FILTER (WHERE account LIKE 'world:%'), 0),
                currency, coalesce(sum(amount) FILTER (WHERE account LIKE 'revenue:%'), 0),
                currency, coalesce(sum(amount) FILTER (WHERE account LIKE 'fx:%'), 0)) AS detail
    FROM entries GROUP BY currency HAVING sum(amount) <> 0`;

/** Check 8. */
const REFUNDS_SQL = `
  SELECT 'refunded_amount_equals_refunds' AS check_name, coalesce(t.id, r.refund_of)::text AS id,
         coalesce(r.total, 0)::text AS expected, t.refunded_amount::text AS actual,
         CASE WHEN t.id IS NULL THEN format('%s refunds (sum %s) name transaction %s, which does not exist', r.n, r.total, r.refund_of)
              ELSE format('%s of %s: refunded_amount %s; its %s refunds sum to %s',
                          t.type, t.amount, t.refunded_amount, coalesce(r.n, 0), coalesce(r.total, 0)) END AS detail
    FROM transactions t
    FULL JOIN (SELECT refund_of, sum(amount) AS total, count(*) AS n FROM transactions WHERE refund_of IS NOT NULL GROUP BY refund_of) r
      ON r.refund_of = t.id
   WHERE t.refunded_amount IS DISTINCT FROM coalesce(r.total, 0)`;

/** Check 9. transactions.hold_id is UNIQUE, so a hold has at most one capture. */
const CAPTURES_SQL = `
  SELECT 'hold_captured_amount_equals_capture' AS check_name, coalesce(h.id, c.hold_id)::text AS id,
         c.amount::text AS expected, h.captured_amount::text AS actual,
         CASE WHEN h.id IS NULL THEN format('capture %s of %s names hold %s, which does not exist', c.id, c.amount, c.hold_id)
              WHEN c.id IS NULL THEN format('hold is captured (captured_amount %s) but no capture transaction names it', h.captured_amount)
              WHEN h.status <> 'captured' THEN format('hold is %s but capture %s took %s from it', h.status, c.id, c.amount)
              ELSE format('captured_amount %s; capture %s moved %s', h.captured_amount, c.id, c.amount) END AS detail
    FROM holds h
    FULL JOIN (SELECT id, hold_id, amount FROM transactions WHERE hold_id IS NOT NULL) c ON c.hold_id = h.id
   WHERE h.id IS NULL OR (h.status = 'captured') <> (c.id IS NOT NULL) OR h.captured_amount <> c.amount`;

const DRIFT_QUERIES = [WALLET_BALANCES_SQL, WALLET_HELD_SQL, TRANSACTION_ENTRIES_SQL, CONVERSION_LEGS_SQL, CURRENCY_TOTALS_SQL, REFUNDS_SQL, CAPTURES_SQL, CHAINS_SQL];

/** Keeps the first $1 drift rows of each check, with each check's total; sorts only the drift, never the ledger. */
const bounded = (driftSql: string) => `
  SELECT * FROM (
    SELECT d.*, count(*) OVER (PARTITION BY d.check_name) AS total,
           row_number() OVER (PARTITION BY d.check_name ORDER BY d.id COLLATE "C", d.detail COLLATE "C") AS rank_in_check
      FROM (${driftSql}) d
  ) ranked
  WHERE rank_in_check <= $1`;

const COUNTS_SQL = `
  SELECT now() AS checked_at,
         (SELECT count(*) FROM wallets) AS wallets, (SELECT count(*) FROM transactions) AS transactions,
         (SELECT count(*) FROM entries) AS entries, (SELECT count(*) FROM holds) AS holds`;

interface DriftRow {
  check_name: LedgerCheck;
  id: string;
  expected: string | null;
  actual: string | null;
  detail: string;
  entry_id?: string | null;
  total: string;
}

/** node-postgres returns count(*) (bigint) as text. */
function countFromDb(value: string): number {
  const count = Number(value);
  if (!Number.isSafeInteger(count)) throw new Error(`row count out of safe range: ${value}`);
  return count;
}

/**
 * The ledger's self-check: recomputes every stored balance, held amount and running total from the
 * rows they summarise and reports where they disagree. Read-only; it never repairs anything.
 */
@Injectable()
export class LedgerVerifier {
  private running: Promise<LedgerReport> | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs every check in one REPEATABLE READ READ ONLY transaction, so all of them see one snapshot:
   * a movement committed halfway through cannot show up as drift between two checks. Readers take no
   * row locks, so postings carry on meanwhile. Each query is bounded by the connection's
   * statement_timeout (DB_STATEMENT_TIMEOUT_MS in the service; the CLI allows an hour).
   *
   * Callers that arrive while a run is in progress share it (and its snapshot: see checkedAt), so
   * however often it is polled the check holds at most one pooled connection per process.
   */
  verify(): Promise<LedgerReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<LedgerReport> {
    const startedAtMs = performance.now();
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      await manager.query('SET TRANSACTION READ ONLY');
      const [counts] = await manager.query(COUNTS_SQL);
      const rows = await this.driftRows(manager);
      const totals = new Map<LedgerCheck, number>();
      for (const row of rows) totals.set(row.check_name, countFromDb(row.total));
      const checks = (Object.keys(LEDGER_CHECKS) as LedgerCheck[]).map((check) => ({
        check,
        description: LEDGER_CHECKS[check],
        driftCount: totals.get(check) ?? 0,
      }));
      const driftCount = checks.reduce((sum, check) => sum + check.driftCount, 0);
      return {
        checkedAt: new Date(counts.checked_at).toISOString(),
        ok: driftCount === 0,
        durationMs: Math.round(performance.now() - startedAtMs),
        counts: {
          wallets: countFromDb(counts.wallets),
          transactions: countFromDb(counts.transactions),
          entries: countFromDb(counts.entries),
          holds: countFromDb(counts.holds),
        },
        driftCount,
        driftLimitPerCheck: DRIFT_LIMIT_PER_CHECK,
        checks,
        drift: rows.map((row) => ({
          check: row.check_name,
          id: row.id,
          ...(row.entry_id != null ? { entryId: countFromDb(row.entry_id) } : {}),
          expected: row.expected,
          actual: row.actual,
          detail: row.detail,
        })),
      };
    });
  }

  private async driftRows(manager: EntityManager): Promise<DriftRow[]> {
    const rows: DriftRow[] = [];
    // One connection, one query at a time: a transaction's statements cannot run in parallel.
    for (const sql of DRIFT_QUERIES) rows.push(...((await manager.query(bounded(sql), [DRIFT_LIMIT_PER_CHECK])) as DriftRow[]));
    const order = Object.keys(LEDGER_CHECKS);
    const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    // a transaction can drift in two currencies: its findings follow their details (which name the currency)
    return rows.sort((a, b) => order.indexOf(a.check_name) - order.indexOf(b.check_name) || byText(a.id, b.id) || byText(a.detail, b.detail));
  }
}
