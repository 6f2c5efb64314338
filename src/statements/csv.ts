/**
 * RFC 4180 CSV as the exports write it: a header row, CRLF line ends, UTF-8, a field quoted when it holds
 * a comma, a double quote, CR or LF (quotes doubled inside). Money is an integer number of minor units.
 */

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';
const LINE_END = '\r\n';

/** A cell: text (guarded against spreadsheet formulas), an integer, or empty. */
export type CsvCell = string | number | bigint | null | undefined;

/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab / CR before one) as a formula, so text
 * that a caller chose (references, descriptions) could run in the accountant's spreadsheet. Such text is
 * written with a leading single quote, as OWASP advises ("CSV injection"); plain integers are left alone.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_INTEGER = /^-?[0-9]+$/;

export function csvText(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_INTEGER.test(value) ? `'${value}` : value;
}

function field(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') {
    if (!Number.isSafeInteger(cell)) throw new Error(`CSV cell is not a safe integer: ${cell}`);
    return String(cell);
  }
  if (typeof cell === 'bigint') return cell.toString();
  const text = csvText(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: readonly CsvCell[]): string {
  return cells.map(field).join(',') + LINE_END;
}

/** Integer text as PostgreSQL prints a bigint or a numeric sum of bigints; checked, never rounded. */
export function integerText(value: string | number): string {
  const text = String(value);
  if (!PLAIN_INTEGER.test(text)) throw new Error(`expected an integer from the database, got ${text}`);
  return text;
}

/** `2026-11-01T00:00:00.000Z` → `20261101T000000Z` (milliseconds kept when there are any), for file names. */
export function compactTimestamp(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z').replaceAll('-', '').replaceAll(':', '');
}

/** `attachment; filename="…"` for a name made of safe characters only (no quoting issues). */
export function attachment(filename: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(filename)) throw new Error(`unsafe file name ${filename}`);
  return `attachment; filename="${filename}"`;
}
