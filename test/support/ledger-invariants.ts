import { expect } from '@jest/globals';
import type pg from 'pg';

/**
 * The ledger's statement-level invariants, straight from the tables and independent of the service's
 * own self-check: per currency all entries sum to zero, each transaction balances in each of its currencies
 * (a conversion's four entries are its quote's amounts, and a quote is used once), each wallet's balance
 * is the sum of its entries and its last balance_after, `held` is the sum of its active holds, nobody is
 * below −overdraftLimit, captures match their holds, refunds their originals (and run back along them),
 * no hold was captured or voided at or after its expiry, each wallet's entries are stamped in ledger order, and
 * each wallet's entries chain by their hashes up to the hash its row remembers.
 */
export async function expectLedgerInvariants(pool: pg.Pool): Promise<void> {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  expect(await q(`SELECT currency, sum(amount)::text AS total FROM entries GROUP BY currency HAVING sum(amount) <> 0`)).toEqual([]);
  // each transaction balances in each currency: two entries in one currency, or a conversion's two in each of two
  expect(await q(`SELECT transaction_id, currency FROM entries GROUP BY transaction_id, currency HAVING sum(amount) <> 0 OR count(*) <> 2`)).toEqual([]);
  expect(
    await q(`SELECT t.id FROM transactions t JOIN entries e ON e.transaction_id = t.id
              GROUP BY t.id
             HAVING count(*) <> CASE WHEN t.type = 'conversion' THEN 4 ELSE 2 END
                 OR bool_or(e.tenant_id <> t.tenant_id OR e.currency NOT IN (t.currency, coalesce(t.to_currency, t.currency)))`),
  ).toEqual([]);
  // a conversion moves exactly its quote's amounts: −amount from the paying wallet, +converted_amount to the receiving one
  expect(
    await q(`SELECT t.id FROM transactions t JOIN fx_quotes qt ON qt.id = t.quote_id
              WHERE t.type = 'conversion' AND (
                    t.amount <> qt.amount OR t.converted_amount <> qt.converted_amount OR t.currency <> qt.from_currency
                 OR t.to_currency <> qt.to_currency
                 OR (SELECT sum(amount) FROM entries e WHERE e.transaction_id = t.id AND e.wallet_id = t.from_wallet_id) <> -qt.amount
                 OR (SELECT sum(amount) FROM entries e WHERE e.transaction_id = t.id AND e.wallet_id = t.to_wallet_id) <> qt.converted_amount
                 OR (SELECT sum(amount) FROM entries e WHERE e.transaction_id = t.id AND e.account = 'fx:' || qt.from_currency) <> qt.amount)`),
  ).toEqual([]);
  expect(await q(`SELECT quote_id FROM transactions WHERE quote_id IS NOT NULL GROUP BY quote_id HAVING count(*) > 1`)).toEqual([]);
  expect(
    await q(`SELECT w.id, w.balance::text, coalesce(e.total, 0)::text AS entries FROM wallets w
               LEFT JOIN (SELECT wallet_id, sum(amount) AS total FROM entries WHERE wallet_id IS NOT NULL GROUP BY wallet_id) e ON e.wallet_id = w.id
              WHERE w.balance <> coalesce(e.total, 0)
                 OR w.balance <> coalesce((SELECT x.balance_after FROM entries x WHERE x.wallet_id = w.id ORDER BY x.id DESC LIMIT 1), 0)`),
  ).toEqual([]);
  expect(
    await q(`SELECT w.id, w.held::text, coalesce(h.total, 0)::text AS active FROM wallets w
               LEFT JOIN (SELECT wallet_id, sum(amount) AS total FROM holds WHERE status = 'active' GROUP BY wallet_id) h ON h.wallet_id = w.id
              WHERE w.held <> coalesce(h.total, 0)`),
  ).toEqual([]);
  expect(await q(`SELECT id FROM wallets WHERE balance - held < -overdraft_limit`)).toEqual([]);
  expect(
    await q(`SELECT h.id FROM holds h LEFT JOIN transactions t ON t.hold_id = h.id
              WHERE (h.status = 'captured') <> (t.id IS NOT NULL)
                 OR (t.id IS NOT NULL AND (t.type <> 'capture' OR t.amount <> h.captured_amount OR t.from_wallet_id <> h.wallet_id))`),
  ).toEqual([]);
  expect(await q(`SELECT id FROM holds WHERE status IN ('captured', 'voided') AND expires_at IS NOT NULL AND released_at >= expires_at`)).toEqual([]);
  expect(
    await q(`SELECT t.id FROM transactions t
               LEFT JOIN (SELECT refund_of, sum(amount) AS total FROM transactions WHERE type = 'refund' GROUP BY refund_of) r ON r.refund_of = t.id
              WHERE t.refunded_amount <> coalesce(r.total, 0) OR t.refunded_amount > t.amount`),
  ).toEqual([]);
  // a wallet's entries are stamped in ledger order (statements cut periods by time and chain balances by id)
  expect(
    await q(`SELECT wallet_id, id FROM (SELECT wallet_id, id, created_at, lag(created_at) OVER (PARTITION BY wallet_id ORDER BY id) AS previous_at
                                          FROM entries WHERE wallet_id IS NOT NULL) x
              WHERE created_at < previous_at`),
  ).toEqual([]);
  // every wallet's entries chain (entry_hash.sql), and the chain ends at the hash its wallet row remembers
  expect(
    await q(`SELECT id, wallet_id FROM (
               SELECT e.id, e.wallet_id, e.hash,
                      entry_hash(lag(e.hash) OVER (PARTITION BY e.wallet_id ORDER BY e.id), e.wallet_id, e.amount, e.balance_after, e.created_at,
                                 transaction_hash_text(t.id, t.type, t.reference, t.description, t.metadata)) AS recomputed
                 FROM entries e JOIN transactions t ON t.id = e.transaction_id WHERE e.wallet_id IS NOT NULL) c
              WHERE hash IS DISTINCT FROM recomputed`),
  ).toEqual([]);
  expect(
    await q(`SELECT w.id FROM wallets w
              WHERE w.last_entry_hash IS DISTINCT FROM (SELECT e.hash FROM entries e WHERE e.wallet_id = w.id ORDER BY e.id DESC LIMIT 1)`),
  ).toEqual([]);
  // limit usage stays within its bounds, the day within its month
  expect(await q(`SELECT id FROM wallets WHERE debit_day_used > debit_month_used OR (debit_period IS NULL AND debit_month_used <> 0)`)).toEqual([]);
  // a refund runs backwards along its original: same currency, sides swapped
  expect(
    await q(`SELECT r.id FROM transactions r JOIN transactions o ON o.id = r.refund_of
              WHERE r.currency <> o.currency
                 OR (o.type = 'deposit' AND (r.wallet_id IS DISTINCT FROM o.wallet_id OR r.from_wallet_id IS NOT NULL OR r.to_wallet_id IS NOT NULL))
                 OR (o.type IN ('transfer', 'capture') AND (r.from_wallet_id IS DISTINCT FROM o.to_wallet_id OR r.to_wallet_id IS DISTINCT FROM o.from_wallet_id))`),
  ).toEqual([]);
}
