import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { CsvExporter } from './csv-export.js';
import { integerText } from './csv.js';
import type { MonthlyReportQuery } from './dto/monthly-report.query.js';

/** The monthly report CSV's columns; `section` is day, month or capture_prefix. */
export const MONTHLY_REPORT_CSV_COLUMNS = [
  'section', 'period', 'type', 'referencePrefix', 'count', 'amount', 'refundCount', 'refundedAmount', 'currency', 'toCurrency',
  'convertedAmount',
] as const;

/**
 * A month's turnover in one currency, set-based: every transaction stamped in the UTC month ($1, $2) in
 * currency $3, counted and summed per UTC day and type and per type for the whole month (one GROUPING SETS
 * pass), and the month's captures per reference prefix with the refunds of captures posted in the same
 * month, grouped by the prefix of the capture they reverse. $4 is the month as text (YYYY-MM), $5 the tenant.
 *
 * The prefix is the reference up to its first ':' (`order:1042` → `order`), the whole reference when it
 * has none, and '' for no reference.
 *
 * Then the month's conversions into or out of the currency, per pair (from → to): count, the amounts converted
 * (in `from`) and what they converted into (in `to`). Those rows carry their own currency (the pair's `from`,
 * the currency of `amount`) and `toCurrency`; every other row is in $3.
 */
const MONTHLY_REPORT_SQL = `
  WITH month AS (
    SELECT make_timestamptz($1, $2, 1, 0, 0, 0, 'UTC') AS starts_at
  ), tx AS (
    SELECT t.type, t.amount, t.reference, t.refund_of, (t.created_at AT TIME ZONE 'UTC')::date AS day
      FROM transactions t, month
     WHERE t.currency = $3 AND t.tenant_id = $5
       AND t.created_at >= month.starts_at AND t.created_at < month.starts_at + interval '1 month'
  ), turnover AS (
    SELECT GROUPING(day) AS whole_month, day, type, count(*) AS count, sum(amount) AS amount
      FROM tx
     GROUP BY GROUPING SETS ((day, type), (type))
  ), captured AS (
    SELECT split_part(coalesce(reference, ''), ':', 1) AS prefix, count(*) AS count, sum(amount) AS amount
      FROM tx
     WHERE type = 'capture'
     GROUP BY 1
  ), refunded AS (
    SELECT split_part(coalesce(capture.reference, ''), ':', 1) AS prefix, count(*) AS count, sum(refund.amount) AS amount
      FROM tx refund
      JOIN transactions capture ON capture.id = refund.refund_of
     WHERE refund.type = 'refund' AND capture.type = 'capture'
     GROUP BY 1
  ), converted AS (
    SELECT t.currency AS from_currency, t.to_currency, count(*) AS count, sum(t.amount) AS amount,
           sum(t.converted_amount) AS converted_amount
      FROM transactions t, month
     WHERE t.type = 'conversion' AND (t.currency = $3 OR t.to_currency = $3) AND t.tenant_id = $5
       AND t.created_at >= month.starts_at AND t.created_at < month.starts_at + interval '1 month'
     GROUP BY 1, 2
  )
  SELECT *
    FROM (
      SELECT CASE whole_month WHEN 0 THEN 1 ELSE 2 END AS part,
             CASE whole_month WHEN 0 THEN 'day' ELSE 'month' END AS section,
             coalesce(to_char(day, 'YYYY-MM-DD'), $4) AS period, type, NULL::text AS reference_prefix,
             count, amount, NULL::bigint AS refund_count, NULL::numeric AS refunded_amount,
             $3::text AS row_currency, NULL::text AS to_currency, NULL::numeric AS converted_amount
        FROM turnover
      UNION ALL
      SELECT 3, 'capture_prefix', $4, 'capture', prefix,
             coalesce(captured.count, 0), coalesce(captured.amount, 0), coalesce(refunded.count, 0), coalesce(refunded.amount, 0),
             $3::text, NULL, NULL
        FROM captured FULL JOIN refunded USING (prefix)
      UNION ALL
      SELECT 4, 'conversion_pair', $4, 'conversion', NULL, count, amount, NULL, NULL, from_currency::text, to_currency::text, converted_amount
        FROM converted
    ) report
   ORDER BY part, period, type, reference_prefix COLLATE "C", row_currency, to_currency`;

interface ReportRow {
  section: 'day' | 'month' | 'capture_prefix' | 'conversion_pair';
  period: string;
  type: string;
  reference_prefix: string | null;
  count: string;
  amount: string;
  refund_count: string | null;
  refunded_amount: string | null;
  row_currency: string;
  to_currency: string | null;
  converted_amount: string | null;
}

const twoDigits = (value: number) => String(value).padStart(2, '0');

@Injectable()
export class ReportsService {
  constructor(private readonly exporter: CsvExporter) {}

  /** Sums stay exact: PostgreSQL's numeric sums are copied as integer text, never through a JS number. */
  async streamMonthlyCsv(tenantId: string, query: MonthlyReportQuery, response: Response): Promise<void> {
    const period = `${query.year}-${twoDigits(query.month)}`;
    const currency = query.currency;
    await this.exporter.run(response, (session) =>
      session.sendCsv<ReportRow>(response, `monthly-report-${period}-${currency}.csv`, MONTHLY_REPORT_SQL, [query.year, query.month, currency, period, tenantId], {
        head: [[...MONTHLY_REPORT_CSV_COLUMNS]],
        row: (row) => [
          row.section,
          row.period,
          row.type,
          row.reference_prefix,
          integerText(row.count),
          integerText(row.amount),
          row.refund_count === null ? null : integerText(row.refund_count),
          row.refunded_amount === null ? null : integerText(row.refunded_amount),
          row.row_currency,
          row.to_currency,
          row.converted_amount === null ? null : integerText(row.converted_amount),
        ],
        tail: () => [],
      }),
    );
  }
}
