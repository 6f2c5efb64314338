import { attachment, compactTimestamp, csvLine, csvText, integerText } from './csv.js';

describe('CSV lines', () => {
  it('writes integers, text and empty cells, ending with CRLF', () => {
    expect(csvLine(['entry', 42, -2500, null, undefined, 9007199254740993n, ''])).toBe('entry,42,-2500,,,9007199254740993,\r\n');
  });

  it('quotes a field with a comma, a quote, CR or LF, doubling the quotes', () => {
    expect(csvLine(['a,b', 'say "hi"', 'two\r\nlines', 'cr\r', 'plain ünïcödé'])).toBe('"a,b","say ""hi""","two\r\nlines","cr\r",plain ünïcödé\r\n');
  });

  it("puts a ' before text a spreadsheet would run as a formula, never before an integer", () => {
    expect(csvText('=SUM(A1:A9)')).toBe("'=SUM(A1:A9)");
    expect(csvText('+49 30 1234')).toBe("'+49 30 1234");
    expect(csvText('-gift')).toBe("'-gift");
    expect(csvText('@admin')).toBe("'@admin");
    expect(csvText('\t=1')).toBe("'\t=1");
    expect(csvText('-1500')).toBe('-1500');
    expect(csvText('order:1042')).toBe('order:1042');
    expect(csvLine(['=HYPERLINK("x")'])).toBe(`"'=HYPERLINK(""x"")"\r\n`);
  });

  it('refuses a number that is not a safe integer (money is never a fraction)', () => {
    expect(() => csvLine([1.5])).toThrow();
    expect(() => csvLine([2 ** 53])).toThrow();
    expect(() => csvLine([Number.NaN])).toThrow();
  });

  it('passes integer text from the database through exactly, and nothing else', () => {
    expect(integerText('123456789012345678901234567890')).toBe('123456789012345678901234567890');
    expect(integerText('-7')).toBe('-7');
    expect(() => integerText('1.5')).toThrow();
    expect(() => integerText('1e3')).toThrow();
  });

  it('names files safely', () => {
    expect(compactTimestamp(new Date('2026-11-01T00:00:00.000Z'))).toBe('20261101T000000Z');
    expect(compactTimestamp(new Date('2026-11-01T12:34:56.789Z'))).toBe('20261101T123456.789Z');
    expect(attachment('monthly-report-2026-11-EUR.csv')).toBe('attachment; filename="monthly-report-2026-11-EUR.csv"');
    expect(() => attachment('a"b.csv')).toThrow();
  });
});
