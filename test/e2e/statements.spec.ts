import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { Clock } from '../../src/common/clock/clock.js';
import { expectProblem } from '../support/expect-problem.js';
import { AUTH, fundedWallet, newWallet, startTestApp, TestApp } from '../support/test-app.js';

/**
 * Statements, balances in the past and the monthly report, over HTTP on real PostgreSQL: the statement
 * agrees with the wallet and with itself (opening + entries = closing, running balances chain), the CSV
 * says what the JSON says, ranges cut where they should, balances and holds are replayed at chosen
 * moments (the service clock is moved to post at those moments), and the monthly report's sums equal
 * sums taken straight from the ledger.
 */

const STATEMENT_COLUMNS = ['section', 'entryId', 'createdAt', 'transactionId', 'type', 'reference', 'description', 'amount', 'balanceAfter', 'currency', 'hash'];
const REPORT_COLUMNS = ['section', 'period', 'type', 'referencePrefix', 'count', 'amount', 'refundCount', 'refundedAmount', 'currency', 'toCurrency', 'convertedAmount'];

/** RFC 4180: quoted fields may hold commas, CR, LF and doubled quotes; every record ends with CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else if (char === '\n' || char === '\r') {
      throw new Error(`bare line break at ${i}: records end with CRLF`);
    } else {
      field += char;
    }
  }
  if (quoted || field !== '' || record.length > 0) throw new Error('the CSV does not end with a complete record');
  return records;
}

/** Parses a CSV with the expected header; every record has as many fields as the header. */
function csvObjects(text: string, columns: string[]): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual(columns);
  for (const row of rows) expect(row).toHaveLength(columns.length);
  return rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]])));
}

const at = (iso: string) => new Date(iso);

describe('statements, balances in time and monthly reports (e2e)', () => {
  let t: TestApp;
  let clock: { mockRestore(): void } | undefined;

  beforeAll(async () => {
    // The background sweeper stays off: it would mark holds expired on its own schedule, and these tests
    // must show that the reads never depend on it.
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
  });
  afterAll(() => t.close());
  afterEach(() => {
    clock?.mockRestore();
    clock = undefined;
  });

  /** From now on the service stamps every write (and decides expiry) at `moment`. */
  function clockAt(moment: Date): void {
    clock?.mockRestore();
    clock = jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date(moment.getTime()));
  }
  function realClock(): void {
    clock?.mockRestore();
    clock = undefined;
  }

  const post = async (path: string, body: Record<string, unknown>) => {
    const res = await t.http.post(path).set(AUTH).send(body);
    expect({ path, status: res.status, body: res.status === 201 ? 'ok' : res.body }).toEqual({ path, status: 201, body: 'ok' });
    return res.body as Record<string, any>;
  };
  const deposit = (wallet: string, amount: number, extra: Record<string, unknown> = {}) => post(`/v1/wallets/${wallet}/deposits`, { amount, ...extra });
  const withdraw = (wallet: string, amount: number, extra: Record<string, unknown> = {}) => post(`/v1/wallets/${wallet}/withdrawals`, { amount, ...extra });
  const transfer = (from: string, to: string, amount: number, extra: Record<string, unknown> = {}) =>
    post('/v1/transfers', { fromWalletId: from, toWalletId: to, amount, ...extra });
  const hold = (wallet: string, amount: number, extra: Record<string, unknown> = {}) => post('/v1/holds', { walletId: wallet, amount, ...extra });
  const capture = (holdId: string, body: Record<string, unknown> = {}) => post(`/v1/holds/${holdId}/capture`, body);
  const refund = (transactionId: string, body: Record<string, unknown> = {}) => post(`/v1/transactions/${transactionId}/refunds`, body);

  const statement = (wallet: string, query: Record<string, string> = {}) => t.http.get(`/v1/wallets/${wallet}/statement`).query(query).set(AUTH);
  const statementCsv = (wallet: string, query: Record<string, string> = {}) => statement(wallet, query).set('Accept', 'text/csv');
  const balanceAt = (wallet: string, query: Record<string, string> = {}) => t.http.get(`/v1/wallets/${wallet}/balance`).query(query).set(AUTH);
  const report = (query: Record<string, string | number>) => t.http.get('/v1/reports/monthly').query(query).set(AUTH);
  const wallet = async (id: string) => (await t.http.get(`/v1/wallets/${id}`).set(AUTH).expect(200)).body as Record<string, any>;

  /** The statement's own arithmetic: entries in ledger order, each running balance = the one before + amount. */
  function expectConsistent(body: Record<string, any>): void {
    let running = body.openingBalance as number;
    let previousId = 0;
    for (const entry of body.entries as Record<string, any>[]) {
      expect(entry.entryId).toBeGreaterThan(previousId);
      previousId = entry.entryId;
      expect(Number.isSafeInteger(entry.amount)).toBe(true);
      expect(entry.amount).not.toBe(0);
      expect(entry.balanceAfter).toBe(running + entry.amount);
      running = entry.balanceAfter;
    }
    expect(body.closingBalance).toBe(running);
    const total = (body.entries as { amount: number }[]).reduce((sum, entry) => sum + entry.amount, 0);
    expect(body.openingBalance + total).toBe(body.closingBalance);
  }

  /** The CSV form of a statement must say exactly what its JSON form says. */
  function expectCsvMatchesJson(csv: Response, json: Record<string, any>): void {
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    const rows = csvObjects(csv.text, STATEMENT_COLUMNS);
    const blank = { entryId: '', transactionId: '', type: '', reference: '', description: '', amount: '' };
    expect(rows[0]).toEqual({
      section: 'opening', createdAt: json.from, balanceAfter: String(json.openingBalance), currency: json.currency, hash: json.openingHash ?? '', ...blank,
    });
    expect(rows[rows.length - 1]).toEqual({
      section: 'closing', createdAt: json.to, balanceAfter: String(json.closingBalance), currency: json.currency, hash: json.closingHash ?? '', ...blank,
    });
    const lines = rows.slice(1, -1);
    expect(lines).toEqual(
      (json.entries as Record<string, any>[]).map((entry) => ({
        section: 'entry',
        entryId: String(entry.entryId),
        createdAt: entry.createdAt,
        transactionId: entry.transactionId,
        type: entry.type,
        reference: spreadsheetSafe(entry.reference),
        description: spreadsheetSafe(entry.description),
        amount: String(entry.amount),
        balanceAfter: String(entry.balanceAfter),
        currency: json.currency,
        hash: entry.hash,
      })),
    );
  }
  /** What the CSV writes for a text: the same, with a ' before a leading = + - @ (formula injection). */
  const spreadsheetSafe = (text: string | null) => (text === null ? '' : /^[=+\-@]/.test(text) ? `'${text}` : text);

  describe('GET /v1/wallets/{id}/statement', () => {
    let main: string;
    let other: string;

    beforeAll(async () => {
      main = await newWallet(t.http);
      other = await fundedWallet(t.http, 1_000);
      await deposit(main, 10_000, { reference: 'card-7731', description: 'Top-up, "first" one' });
      await deposit(main, 2_500, { reference: '=HYPERLINK("http://x.example")', description: 'two\r\nlines' });
      await withdraw(main, 1_200, { reference: 'payout:77' });
      await transfer(main, other, 3_000, { reference: '-gift', description: '+@' });
      await transfer(other, main, 500);
      await withdraw(main, 300, { description: 'ünïcödé ✓' });
    });

    it('lists every entry with its running balance; the closing balance is the wallet balance', async () => {
      const res = await statement(main).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.vary).toMatch(/Accept/);
      const body = res.body;
      expect(Object.keys(body).sort()).toEqual([
        'closingBalance', 'closingHash', 'currency', 'entries', 'from', 'openingBalance', 'openingHash', 'to', 'walletId',
      ]);
      expect(body.openingHash).toBeNull();
      expect(body.closingHash).toBe(body.entries.at(-1).hash);
      expect(body).toMatchObject({ walletId: main, currency: 'EUR', from: '1970-01-01T00:00:00.000Z', openingBalance: 0 });
      expect(Date.parse(body.to)).toBeLessThanOrEqual(Date.now());
      expect(body.entries.map((e: any) => [e.type, e.amount, e.balanceAfter])).toEqual([
        ['deposit', 10_000, 10_000],
        ['deposit', 2_500, 12_500],
        ['withdrawal', -1_200, 11_300],
        ['transfer', -3_000, 8_300],
        ['transfer', 500, 8_800],
        ['withdrawal', -300, 8_500],
      ]);
      expect(body.entries[0]).toEqual({
        entryId: expect.any(Number),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        transactionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'deposit',
        reference: 'card-7731',
        description: 'Top-up, "first" one',
        metadata: {},
        amount: 10_000,
        balanceAfter: 10_000,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(body.entries[4]).toMatchObject({ reference: null, description: null });
      expectConsistent(body);
      expect(body.closingBalance).toBe((await wallet(main)).balance);
    });

    it("carries each entry's transaction id, as GET /v1/transactions/{id} shows it", async () => {
      const { body } = await statement(main).expect(200);
      for (const entry of body.entries) {
        const tx = (await t.http.get(`/v1/transactions/${entry.transactionId}`).set(AUTH).expect(200)).body;
        expect(tx.type).toBe(entry.type);
        expect(tx.reference ?? null).toBe(entry.reference);
        expect(tx.entries).toContainEqual({ walletId: main, amount: entry.amount, balanceAfter: entry.balanceAfter, hash: entry.hash });
      }
    });

    it('as CSV (Accept: text/csv): a streamed attachment that says what the JSON says', async () => {
      const json = (await statement(main).expect(200)).body;
      const csv = await statementCsv(main, { from: json.from, to: json.to });
      expectCsvMatchesJson(csv, json);
      expect(csv.headers['content-disposition']).toBe(`attachment; filename="statement-${main}-19700101T000000Z-${json.to.replace(/\.000Z$/, 'Z').replace(/[-:]/g, '')}.csv"`);
      expect(csv.headers['transfer-encoding']).toBe('chunked');
      expect(csv.headers['content-length']).toBeUndefined();
      expect(csv.headers.vary).toMatch(/Accept/);
      // quoting, line breaks and the formula guard, byte for byte
      expect(csv.text).toContain(',card-7731,"Top-up, ""first"" one",10000,10000,EUR,');
      expect(csv.text).toContain(`,deposit,"'=HYPERLINK(""http://x.example"")","two\r\nlines",2500,12500,EUR,`);
      expect(csv.text).toContain(",transfer,'-gift,'+@,-3000,8300,EUR,");
      expect(csv.text).toContain(',withdrawal,,ünïcödé ✓,-300,8500,EUR,');
    });

    it('prefers CSV only when the client asks for it', async () => {
      expect((await statement(main).set('Accept', '*/*').expect(200)).headers['content-type']).toMatch(/^application\/json/);
      expect((await statement(main).set('Accept', 'text/html').expect(200)).headers['content-type']).toMatch(/^application\/json/);
      expect((await statement(main).set('Accept', 'application/json;q=0.5, text/csv').expect(200)).headers['content-type']).toMatch(/^text\/csv/);
    });

    it('a wallet without entries has an empty statement with zero balances, in both forms', async () => {
      const empty = await newWallet(t.http, { currency: 'JPY' });
      const json = (await statement(empty).expect(200)).body;
      expect(json).toMatchObject({ walletId: empty, currency: 'JPY', openingBalance: 0, closingBalance: 0, entries: [] });
      const rows = csvObjects((await statementCsv(empty, { to: json.to }).expect(200)).text, STATEMENT_COLUMNS);
      expect(rows.map((row) => [row.section, row.balanceAfter, row.currency])).toEqual([
        ['opening', '0', 'JPY'],
        ['closing', '0', 'JPY'],
      ]);
    });

    it('refuses a JSON statement over 1000 entries (pointing to CSV) and streams the CSV of all of them', async () => {
      const busy = await newWallet(t.http);
      const count = 1_001;
      // Posted by the ledger's own posting function (what every deposit runs), in one statement instead of
      // a thousand requests: deposits of 1, 2, … 1001, one millisecond apart.
      const posted = await t.db.pool.query(
        `SELECT post_movement(p_tenant_id => 'default', p_transaction_id => gen_random_uuid(), p_type => 'deposit',
                             p_debit_wallet_id => NULL, p_credit_wallet_id => $1, p_amount => n,
                             p_reference => NULL, p_description => NULL, p_metadata => NULL,
                             p_idem_scope => NULL, p_idem_key => NULL, p_request_hash => NULL,
                             p_now => '2025-01-01T00:00:00Z'::timestamptz + n * interval '1 millisecond') ->> 'outcome' AS outcome
           FROM generate_series(1, $2::int) n`,
        [busy, count],
      );
      expect(posted.rows.every((row) => row.outcome === 'posted')).toBe(true);
      const refused = await statement(busy);
      expectProblem(refused, 400, 'VALIDATION_FAILED');
      expect(refused.body.detail).toMatch(/text\/csv/);

      const csv = await statementCsv(busy).expect(200);
      const rows = csvObjects(csv.text, STATEMENT_COLUMNS);
      expect(rows).toHaveLength(count + 2);
      const entries = rows.slice(1, -1);
      const total = (count * (count + 1)) / 2;
      expect(entries.reduce((sum, row) => sum + Number(row.amount), 0)).toBe(total);
      let running = 0;
      for (const row of entries) {
        running += Number(row.amount);
        expect(Number(row.balanceAfter)).toBe(running);
      }
      expect(rows[rows.length - 1]).toMatchObject({ section: 'closing', balanceAfter: String(total) });
      expect((await wallet(busy)).balance).toBe(total);

      // A narrower period fits the JSON form again, and holds the entries the CSV stamps in it.
      const [from, to] = [entries[0].createdAt, entries[20].createdAt];
      const json = (await statement(busy, { from, to }).expect(200)).body;
      expect(json.entries).toHaveLength(20);
      expect(json.entries.map((e: any) => String(e.entryId))).toEqual(entries.filter((row) => row.createdAt >= from && row.createdAt < to).map((row) => row.entryId));
    });

    it('ends each export transaction before the client has the whole response', async () => {
      // A short export is produced faster than its COMMIT is answered; the response must not end first.
      const openTransactions = async () =>
        (
          await t.db.pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
          )
        ).rows[0].n;
      const seen: number[] = [];
      for (let round = 0; round < 25; round += 1) {
        await statementCsv(main).expect(200);
        seen.push(await openTransactions());
        await statementCsv(randomUUID()).expect(404);
        seen.push(await openTransactions());
        await report({ year: 2024, month: 1, currency: 'EUR' }).expect(200);
        seen.push(await openTransactions());
      }
      expect(seen.filter((n) => n !== 0)).toEqual([]);
    });
  });

  describe('periods and balances in the past (the service clock moved to chosen moments)', () => {
    let w: string;
    const T1 = at('2024-01-10T10:00:00.000Z');
    const T2 = at('2024-01-20T10:00:00.000Z');
    const T3 = at('2024-02-05T00:00:00.000Z');

    beforeAll(async () => {
      w = await newWallet(t.http);
      clockAt(T1);
      await deposit(w, 1_000, { reference: 'first' });
      clockAt(T2);
      await withdraw(w, 300, { reference: 'second' });
      clockAt(T3);
      await deposit(w, 700, { reference: 'third' });
      realClock();
    });

    const refs = (body: Record<string, any>) => body.entries.map((e: any) => e.reference);

    it('stamps entries with the service clock', async () => {
      const { body } = await statement(w).expect(200);
      expect(body.entries.map((e: any) => e.createdAt)).toEqual([T1.toISOString(), T2.toISOString(), T3.toISOString()]);
    });

    it('a range holds the entries stamped in [from, to), with the balance before from and the balance at to', async () => {
      const { body } = await statement(w, { from: '2024-01-15T00:00:00Z', to: '2024-02-01T00:00:00Z' }).expect(200);
      expect(body).toMatchObject({ from: '2024-01-15T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z', openingBalance: 1_000, closingBalance: 700 });
      expect(refs(body)).toEqual(['second']);
      expectConsistent(body);
      expectCsvMatchesJson(await statementCsv(w, { from: '2024-01-15T00:00:00Z', to: '2024-02-01T00:00:00Z' }), body);
    });

    it('from is inclusive, to exclusive, offsets and milliseconds count', async () => {
      expect(refs((await statement(w, { from: T2.toISOString() }).expect(200)).body)).toEqual(['second', 'third']);
      expect(refs((await statement(w, { from: '2024-01-20T10:00:00.001Z' }).expect(200)).body)).toEqual(['third']);
      expect(refs((await statement(w, { to: T2.toISOString() }).expect(200)).body)).toEqual(['first']);
      expect(refs((await statement(w, { to: '2024-01-20T10:00:00.001Z' }).expect(200)).body)).toEqual(['first', 'second']);
      // 11:00 at +01:00 is T2
      const offset = (await statement(w, { from: '2024-01-20T11:00:00+01:00', to: '2024-02-05T01:00:00+01:00' }).expect(200)).body;
      expect(offset).toMatchObject({ from: T2.toISOString(), to: T3.toISOString(), openingBalance: 1_000, closingBalance: 700 });
      expect(refs(offset)).toEqual(['second']);
    });

    it('consecutive periods chain: each closing balance is the next opening balance', async () => {
      const cuts = ['2024-01-01T00:00:00Z', '2024-01-15T00:00:00Z', '2024-01-20T10:00:00Z', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'];
      let previous: number | null = null;
      const seen: string[] = [];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const { body } = await statement(w, { from: cuts[i], to: cuts[i + 1] }).expect(200);
        expectConsistent(body);
        if (previous !== null) expect(body.openingBalance).toBe(previous);
        previous = body.closingBalance;
        seen.push(...refs(body));
      }
      expect(seen).toEqual(['first', 'second', 'third']);
      expect(previous).toBe(1_400);
    });

    it('an empty range (from = to) opens and closes at the balance of that moment', async () => {
      const { body } = await statement(w, { from: '2024-01-25T00:00:00Z', to: '2024-01-25T00:00:00Z' }).expect(200);
      expect(body).toMatchObject({ openingBalance: 700, closingBalance: 700, entries: [] });
    });

    it('to defaults to the service clock: a statement "now" in the past stops there', async () => {
      clockAt(at('2024-01-25T00:00:00Z'));
      const { body } = await statement(w).expect(200);
      expect(body).toMatchObject({ to: '2024-01-25T00:00:00.000Z', closingBalance: 700 });
      expect(refs(body)).toEqual(['first', 'second']);
    });

    it('GET /balance?at= gives the balance as it stood at each moment', async () => {
      const cases: [string, number][] = [
        ['2020-01-01T00:00:00Z', 0],
        ['2024-01-10T09:59:59.999Z', 0],
        [T1.toISOString(), 1_000],
        ['2024-01-15T00:00:00Z', 1_000],
        [T2.toISOString(), 700],
        ['2024-02-04T23:59:59.999Z', 700],
        [T3.toISOString(), 1_400],
        ['2025-06-01T00:00:00+02:00', 1_400],
      ];
      for (const [moment, balance] of cases) {
        const res = await balanceAt(w, { at: moment }).expect(200);
        expect({ moment, body: res.body }).toEqual({
          moment,
          body: { walletId: w, currency: 'EUR', at: new Date(moment).toISOString(), balance, held: 0, available: balance },
        });
      }
    });

    it('GET /balance without at is now, and agrees with GET /v1/wallets/{id}', async () => {
      const now = await balanceAt(w).expect(200);
      const current = await wallet(w);
      expect(now.body).toMatchObject({ balance: current.balance, held: current.held, available: current.available });
      expect(Math.abs(Date.parse(now.body.at) - Date.now())).toBeLessThan(60_000);
      clockAt(at('2024-01-15T00:00:00Z'));
      expect((await balanceAt(w).expect(200)).body).toMatchObject({ at: '2024-01-15T00:00:00.000Z', balance: 1_000 });
    });
  });

  describe('entries stay in ledger order in time', () => {
    // Two movements on one wallet read the clock before waiting for its row lock, and may get the lock in
    // the other order: the later entry would then carry the earlier time. The clock replays that order.
    const EARLY = at('2024-04-01T12:00:00.000Z');
    const LATE = at('2024-04-01T12:00:00.005Z');
    const BETWEEN = '2024-04-01T12:00:00.002Z';

    it('a movement timed before the wallet\'s last entry is stamped at that entry\'s time; its transaction keeps its own', async () => {
      const w = await newWallet(t.http);
      const other = await newWallet(t.http);
      clockAt(LATE);
      await deposit(w, 1_000, { reference: 'locked first' });
      clockAt(EARLY);
      const second = await deposit(w, 250, { reference: 'locked second' });
      const third = await transfer(w, other, 100, { reference: 'locked third' });
      realClock();

      expect(second.createdAt).toBe(EARLY.toISOString());
      const all = (await statement(w).expect(200)).body;
      expect(all.entries.map((e: any) => [e.reference, e.createdAt])).toEqual([
        ['locked first', LATE.toISOString()],
        ['locked second', LATE.toISOString()],
        ['locked third', LATE.toISOString()],
      ]);
      // The other wallet's own first entry keeps the movement's time: each wallet keeps its own order.
      expect((await statement(other).expect(200)).body.entries.map((e: any) => e.createdAt)).toEqual([EARLY.toISOString()]);
      expect(third.createdAt).toBe(EARLY.toISOString());

      // Cut between the two clock readings: nothing had reached the wallet yet, and the chain holds.
      const after = (await statement(w, { from: BETWEEN }).expect(200)).body;
      expect(after).toMatchObject({ openingBalance: 0, closingBalance: 1_150 });
      expectConsistent(after);
      const before = (await statement(w, { to: BETWEEN }).expect(200)).body;
      expect(before).toMatchObject({ openingBalance: 0, closingBalance: 0, entries: [] });
      expect((await balanceAt(w, { at: BETWEEN }).expect(200)).body.balance).toBe(0);
      expect((await balanceAt(w, { at: LATE.toISOString() }).expect(200)).body.balance).toBe(1_150);
    });
  });

  describe('holds in the past', () => {
    it('held counts a hold from its placing until it is captured, voided or expires', async () => {
      const w = await newWallet(t.http);
      const seller = await newWallet(t.http);
      const moment = (time: string) => at(`2024-03-01T${time}Z`);
      clockAt(moment('00:00:00.000'));
      await deposit(w, 10_000);
      clockAt(moment('01:00:00.000'));
      const kept = await hold(w, 2_000, { reference: 'order:1' });
      clockAt(moment('02:00:00.000'));
      await hold(w, 1_500, { expiresInSeconds: 3_600 }); // expires at 03:00
      clockAt(moment('04:00:00.000'));
      const captured = await capture(kept.id, { amount: 1_200, toWalletId: seller });
      clockAt(moment('05:00:00.000'));
      const voided = await hold(w, 500);
      clockAt(moment('06:00:00.000'));
      expect((await t.http.post(`/v1/holds/${voided.id}/void`).set(AUTH).send({}).expect(200)).body.status).toBe('voided');
      clockAt(moment('07:00:00.000'));
      await refund(captured.id, { amount: 200 });
      realClock();

      const cases: [string, number, number][] = [
        ['00:00:00.000', 10_000, 0],
        ['00:59:59.999', 10_000, 0],
        ['01:00:00.000', 10_000, 2_000],
        ['02:30:00.000', 10_000, 3_500],
        ['02:59:59.999', 10_000, 3_500],
        ['03:00:00.000', 10_000, 2_000], // the hold expired at its expiresAt, swept or not
        ['03:59:59.999', 10_000, 2_000],
        ['04:00:00.000', 8_800, 0], // captured 1,200; the rest released
        ['05:30:00.000', 8_800, 500],
        ['06:00:00.000', 8_800, 0], // voided
        ['07:00:00.000', 9_000, 0], // 200 refunded
      ];
      for (const [time, balance, held] of cases) {
        const res = await balanceAt(w, { at: moment(time).toISOString() }).expect(200);
        expect({ time, body: res.body }).toEqual({
          time,
          body: { walletId: w, currency: 'EUR', at: moment(time).toISOString(), balance, held, available: balance - held },
        });
      }
      const now = (await balanceAt(w).expect(200)).body;
      expect(now).toMatchObject({ balance: 9_000, held: 0, available: 9_000 });
      expect(await wallet(w)).toMatchObject({ balance: 9_000, held: 0, available: 9_000 });

      // The capture and the refund are entries of the statement like any other movement.
      const { body } = await statement(w).expect(200);
      expect(body.entries.map((e: any) => [e.type, e.amount, e.reference])).toEqual([
        ['deposit', 10_000, null],
        ['capture', -1_200, 'order:1'],
        ['refund', 200, 'order:1'],
      ]);
      expectConsistent(body);
    });

    it('a hold that is still active counts now, and a due one stops counting before any sweep', async () => {
      const w = await newWallet(t.http);
      clockAt(at('2024-04-01T00:00:00Z'));
      await deposit(w, 1_000);
      await hold(w, 400, { expiresInSeconds: 60 });
      await hold(w, 100);
      clockAt(at('2024-04-01T00:00:59.999Z'));
      expect((await balanceAt(w).expect(200)).body).toMatchObject({ balance: 1_000, held: 500, available: 500 });
      clockAt(at('2024-04-01T00:01:00.000Z'));
      expect((await balanceAt(w).expect(200)).body).toMatchObject({ balance: 1_000, held: 100, available: 900 });
      expect(await wallet(w)).toMatchObject({ balance: 1_000, held: 100, available: 900 });
    });
  });

  describe('GET /v1/reports/monthly', () => {
    const JUNE = { year: 2023, month: 6, currency: 'EUR' };
    let r1: string;
    let r2: string;

    beforeAll(async () => {
      r1 = await newWallet(t.http);
      r2 = await newWallet(t.http);
      const pounds = await newWallet(t.http, { currency: 'GBP' });
      const when = (iso: string) => clockAt(at(iso));

      when('2023-05-20T12:00:00Z');
      await deposit(r1, 100_000);
      const mayHold = await hold(r1, 900, { reference: 'may:1' });
      const mayCapture = await capture(mayHold.id);
      when('2023-05-31T23:59:59.999Z');
      await deposit(r1, 1); // the month before

      when('2023-06-01T00:00:00.000Z');
      await deposit(r1, 50_000, { reference: 'card:1' });
      when('2023-06-01T12:00:00Z');
      await deposit(r1, 700);
      await deposit(r2, 20_000);
      when('2023-06-02T08:00:00Z');
      await transfer(r1, r2, 3_000, { reference: 'gift:1' });
      when('2023-06-02T09:00:00Z');
      await withdraw(r2, 1_000);
      await deposit(pounds, 999); // another currency
      when('2023-06-03T10:00:00Z');
      const order100 = await capture((await hold(r1, 5_000, { reference: 'order:100' })).id, { amount: 4_000 });
      when('2023-06-03T11:00:00Z');
      const order101 = await capture((await hold(r1, 2_000, { reference: 'order:101:x' })).id, { toWalletId: r2 });
      when('2023-06-04T10:00:00Z');
      await capture((await hold(r2, 1_000)).id); // no reference
      await capture((await hold(r1, 300, { reference: 'shop' })).id); // no ':' — the whole reference
      await capture((await hold(r1, 50, { reference: '=cmd' })).id); // a prefix that looks like a formula
      when('2023-06-05T10:00:00Z');
      await refund(order100.id, { amount: 1_500 });
      await refund(mayCapture.id, { amount: 400 }); // a capture of May, refunded in June
      const june = await deposit(r1, 10);
      await refund(june.id, { amount: 5 }); // a refund, but not of a capture
      when('2023-06-30T23:59:59.999Z');
      await deposit(r2, 42);
      when('2023-07-01T00:00:00.000Z');
      await deposit(r1, 5); // the month after
      await refund(order101.id, { amount: 100 }); // counted in July
      realClock();
    });

    const rowsOf = async (query: Record<string, string | number>) => {
      const res = await report(query).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      return { res, rows: csvObjects(res.text, REPORT_COLUMNS) };
    };

    it('is a CSV attachment named after the month and currency', async () => {
      const { res, rows } = await rowsOf(JUNE);
      expect(res.headers['content-disposition']).toBe('attachment; filename="monthly-report-2023-06-EUR.csv"');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(['day', 'month', 'capture_prefix']).toContain(row.section);
        expect(row.currency).toBe('EUR');
        expect([row.toCurrency, row.convertedAmount]).toEqual(['', '']); // conversion_pair rows only (test/e2e/currencies.spec.ts)
        expect(row.count).toMatch(/^[0-9]+$/);
        expect(row.amount).toMatch(/^[0-9]+$/);
      }
      // sections in order: days (by date, then type), month totals, capture prefixes
      const sections = rows.map((row) => row.section);
      expect(sections).toEqual([...sections].sort((a, b) => ['day', 'month', 'capture_prefix'].indexOf(a) - ['day', 'month', 'capture_prefix'].indexOf(b)));
      const days = rows.filter((row) => row.section === 'day').map((row) => `${row.period} ${row.type}`);
      expect(days).toEqual([...days].sort());
    });

    it('gives per UTC day and type the count and sum of amounts, as the ledger has them', async () => {
      const { rows } = await rowsOf(JUNE);
      const days = rows.filter((row) => row.section === 'day').map((row) => [row.period, row.type, Number(row.count), Number(row.amount)]);
      expect(days).toEqual([
        ['2023-06-01', 'deposit', 3, 70_700],
        ['2023-06-02', 'transfer', 1, 3_000],
        ['2023-06-02', 'withdrawal', 1, 1_000],
        ['2023-06-03', 'capture', 2, 6_000],
        ['2023-06-04', 'capture', 3, 1_350],
        ['2023-06-05', 'deposit', 1, 10],
        ['2023-06-05', 'refund', 3, 1_905],
        ['2023-06-30', 'deposit', 1, 42],
      ]);
      const { rows: ledger } = await t.db.pool.query(
        `SELECT to_char(date_trunc('day', created_at, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS period, type, count(*)::int AS count, sum(amount)::bigint::int AS amount
           FROM transactions
          WHERE currency = 'EUR' AND created_at >= '2023-06-01T00:00:00Z' AND created_at < '2023-07-01T00:00:00Z'
          GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      expect(days).toEqual(ledger.map((row) => [row.period, row.type, row.count, row.amount]));
      // the same sums from the other side of the ledger: the wallets' entries
      const { rows: entries } = await t.db.pool.query(
        `SELECT t.type, sum(abs(e.amount))::int AS moved
           FROM entries e JOIN transactions t ON t.id = e.transaction_id
          WHERE e.currency = 'EUR' AND e.amount > 0 AND t.created_at >= '2023-06-01T00:00:00Z' AND t.created_at < '2023-07-01T00:00:00Z'
          GROUP BY 1 ORDER BY 1`,
      );
      const months = rows.filter((row) => row.section === 'month');
      expect(months.map((row) => [row.type, Number(row.amount)])).toEqual(entries.map((row) => [row.type, row.moved]));
    });

    it('gives per type the whole month, equal to the sum of its days', async () => {
      const { rows } = await rowsOf(JUNE);
      const months = rows.filter((row) => row.section === 'month');
      expect(months.map((row) => [row.period, row.type, Number(row.count), Number(row.amount)])).toEqual([
        ['2023-06', 'capture', 5, 7_350],
        ['2023-06', 'deposit', 5, 70_752],
        ['2023-06', 'refund', 3, 1_905],
        ['2023-06', 'transfer', 1, 3_000],
        ['2023-06', 'withdrawal', 1, 1_000],
      ]);
      for (const month of months) {
        const days = rows.filter((row) => row.section === 'day' && row.type === month.type);
        expect(days.reduce((sum, row) => sum + Number(row.count), 0)).toBe(Number(month.count));
        expect(days.reduce((sum, row) => sum + Number(row.amount), 0)).toBe(Number(month.amount));
      }
    });

    it("groups captures by the reference's prefix, with the refunds of captures posted in the month", async () => {
      const { res, rows } = await rowsOf(JUNE);
      const prefixes = rows
        .filter((row) => row.section === 'capture_prefix')
        .map((row) => [row.referencePrefix, Number(row.count), Number(row.amount), Number(row.refundCount), Number(row.refundedAmount)]);
      expect(prefixes).toEqual([
        ['', 1, 1_000, 0, 0],
        ["'=cmd", 1, 50, 0, 0],
        ['may', 0, 0, 1, 400],
        ['order', 2, 6_000, 1, 1_500],
        ['shop', 1, 300, 0, 0],
      ]);
      expect(res.text).toContain("capture_prefix,2023-06,capture,'=cmd,1,50,0,0,EUR,,\r\n");
      const { rows: ledger } = await t.db.pool.query(
        `WITH month AS (SELECT * FROM transactions WHERE currency = 'EUR' AND created_at >= '2023-06-01T00:00:00Z' AND created_at < '2023-07-01T00:00:00Z'),
              captures AS (SELECT coalesce(substring(reference FROM '^[^:]*'), '') AS prefix, count(*) AS n, sum(amount) AS total
                             FROM month WHERE type = 'capture' GROUP BY 1),
              refunds AS (SELECT coalesce(substring(o.reference FROM '^[^:]*'), '') AS prefix, count(*) AS n, sum(r.amount) AS total
                            FROM month r JOIN transactions o ON o.id = r.refund_of AND o.type = 'capture' GROUP BY 1)
         SELECT prefix, coalesce(c.n, 0)::int AS n, coalesce(c.total, 0)::int AS total, coalesce(r.n, 0)::int AS refunds, coalesce(r.total, 0)::int AS refunded
           FROM captures c FULL JOIN refunds r USING (prefix) ORDER BY prefix COLLATE "C"`,
      );
      expect(prefixes.map(([prefix, ...sums]) => [String(prefix).replace(/^'=/, '='), ...sums])).toEqual(
        ledger.map((row) => [row.prefix, row.n, row.total, row.refunds, row.refunded]),
      );
    });

    it('a month or currency without transactions is a header alone; other months and currencies stay apart', async () => {
      expect((await rowsOf({ year: 2023, month: 8, currency: 'EUR' })).rows).toEqual([]);
      expect((await rowsOf({ year: 2023, month: 6, currency: 'USD' })).rows).toEqual([]);
      const pounds = (await rowsOf({ year: 2023, month: 6, currency: 'GBP' })).rows;
      expect(pounds.map((row) => [row.section, row.period, row.type, row.count, row.amount])).toEqual([
        ['day', '2023-06-02', 'deposit', '1', '999'],
        ['month', '2023-06', 'deposit', '1', '999'],
      ]);
      const july = (await rowsOf({ year: 2023, month: 7, currency: 'EUR' })).rows;
      expect(july.filter((row) => row.section === 'month').map((row) => [row.type, row.count, row.amount])).toEqual([
        ['deposit', '1', '5'],
        ['refund', '1', '100'],
      ]);
      expect(july.filter((row) => row.section === 'capture_prefix').map((row) => [row.referencePrefix, row.count, row.refundCount, row.refundedAmount])).toEqual([
        ['order', '0', '1', '100'],
      ]);
    });
  });

  describe('refusals', () => {
    let w: string;
    beforeAll(async () => {
      w = await fundedWallet(t.http, 100);
    });

    it.each([
      ['from after to', { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, 'from'],
      ['from not a date-time', { from: 'yesterday' }, 'from'],
      ['from a date alone', { from: '2024-01-01' }, 'from'],
      ['to without an offset', { to: '2024-01-01T00:00:00' }, 'to'],
      ['to with microseconds', { to: '2024-01-01T00:00:00.123456Z' }, 'to'],
      ['to not a real day', { to: '2023-02-29T00:00:00Z' }, 'to'],
      ['an unknown query field', { limit: '10' }, 'limit'],
    ])('statement: %s → 400 VALIDATION_FAILED', async (_, query, field) => {
      expectProblem(await statement(w, query as Record<string, string>), 400, 'VALIDATION_FAILED', field);
      expectProblem(await statementCsv(w, query as Record<string, string>), 400, 'VALIDATION_FAILED', field);
    });

    it('statement: from in the future with no to is after now → 400', async () => {
      expectProblem(await statement(w, { from: '2999-01-01T00:00:00Z' }), 400, 'VALIDATION_FAILED', 'from');
    });

    it('statement and balance of an unknown wallet → 404 WALLET_NOT_FOUND, problem+json even when CSV was asked for', async () => {
      const unknown = randomUUID();
      expectProblem(await statement(unknown), 404, 'WALLET_NOT_FOUND');
      expectProblem(await statementCsv(unknown), 404, 'WALLET_NOT_FOUND');
      expectProblem(await balanceAt(unknown), 404, 'WALLET_NOT_FOUND');
      expectProblem(await balanceAt(unknown, { at: '2024-01-01T00:00:00Z' }), 404, 'WALLET_NOT_FOUND');
    });

    it('a wallet id that is not a UUID → 400', async () => {
      expectProblem(await statement('nope'), 400, 'VALIDATION_FAILED', 'id');
      expectProblem(await balanceAt('nope'), 400, 'VALIDATION_FAILED', 'id');
    });

    it.each([
      ['not a date-time', { at: '1700000000' }],
      ['in the future', { at: '2999-01-01T00:00:00Z' }],
      ['an unknown query field', { when: '2024-01-01T00:00:00Z' }],
    ])('balance: at %s → 400 VALIDATION_FAILED', async (_, query) => {
      expectProblem(await balanceAt(w, query), 400, 'VALIDATION_FAILED', Object.keys(query)[0]);
    });

    it.each([
      ['year before 2000', { year: 1999, month: 1, currency: 'EUR' }, 'year'],
      ['year after 9999', { year: 10_000, month: 1, currency: 'EUR' }, 'year'],
      ['year not a number', { year: 'last', month: 1, currency: 'EUR' }, 'year'],
      ['month 0', { year: 2024, month: 0, currency: 'EUR' }, 'month'],
      ['month 13', { year: 2024, month: 13, currency: 'EUR' }, 'month'],
      ['month 1.5', { year: 2024, month: 1.5, currency: 'EUR' }, 'month'],
      ['currency in lower case', { year: 2024, month: 1, currency: 'eur' }, 'currency'],
      ['unknown currency', { year: 2024, month: 1, currency: 'ABC' }, 'currency'],
      ['no currency', { year: 2024, month: 1 }, 'currency'],
      ['no year', { month: 1, currency: 'EUR' }, 'year'],
      ['an unknown query field', { year: 2024, month: 1, currency: 'EUR', day: 3 }, 'day'],
    ])('monthly report: %s → 400 VALIDATION_FAILED', async (_, query, field) => {
      expectProblem(await report(query as Record<string, string | number>), 400, 'VALIDATION_FAILED', field);
    });

    it('every endpoint needs the API key', async () => {
      expectProblem(await t.http.get(`/v1/wallets/${w}/statement`), 401, 'UNAUTHORIZED');
      expectProblem(await t.http.get(`/v1/wallets/${w}/statement`).set('Accept', 'text/csv'), 401, 'UNAUTHORIZED');
      expectProblem(await t.http.get(`/v1/wallets/${w}/balance`), 401, 'UNAUTHORIZED');
      expectProblem(await t.http.get('/v1/reports/monthly').query({ year: 2024, month: 1, currency: 'EUR' }), 401, 'UNAUTHORIZED');
    });
  });

  describe('OpenAPI document', () => {
    let doc: Record<string, any>;
    beforeAll(async () => {
      doc = (await t.http.get('/docs-json').expect(200)).body;
    });

    it.each([
      ['/v1/wallets/{id}/statement', ['application/json', 'text/csv'], ['400', '401', '404', '503']],
      ['/v1/wallets/{id}/balance', ['application/json'], ['400', '401', '404', '503']],
      ['/v1/reports/monthly', ['text/csv'], ['400', '401', '503']],
    ])('documents GET %s: bearer key, its content types and its problems', (path, types, problems) => {
      const operation = doc.paths[path]?.get;
      expect(operation).toBeDefined();
      expect(operation.security).toEqual([{ 'api-key': [] }]);
      expect(Object.keys(operation.responses['200'].content).sort()).toEqual([...types].sort());
      for (const status of problems) expect(Object.keys(operation.responses[status].content)).toEqual(['application/problem+json']);
      expect(Object.keys(operation.responses).filter((s) => s.startsWith('2'))).toEqual(['200']);
    });

    it('documents the query parameters and the response shapes', () => {
      const params = (path: string) =>
        Object.fromEntries((doc.paths[path].get.parameters as any[]).filter((p) => p.in === 'query').map((p) => [p.name, p]));
      expect(Object.keys(params('/v1/wallets/{id}/statement')).sort()).toEqual(['from', 'to']);
      expect(params('/v1/wallets/{id}/statement').from.schema).toMatchObject({ type: 'string', format: 'date-time' });
      expect(Object.keys(params('/v1/wallets/{id}/balance'))).toEqual(['at']);
      const monthly = params('/v1/reports/monthly');
      expect(Object.keys(monthly).sort()).toEqual(['currency', 'month', 'year']);
      expect(monthly.year).toMatchObject({ required: true, schema: expect.objectContaining({ minimum: 2000, maximum: 9999 }) });
      expect(monthly.month).toMatchObject({ required: true, schema: expect.objectContaining({ minimum: 1, maximum: 12 }) });
      const schema = (name: string) => doc.components.schemas[name];
      expect(Object.keys(schema('StatementDto').properties).sort()).toEqual(
        ['closingBalance', 'closingHash', 'currency', 'entries', 'from', 'openingBalance', 'openingHash', 'to', 'walletId'],
      );
      expect(Object.keys(schema('StatementEntryDto').properties).sort()).toEqual(
        ['amount', 'balanceAfter', 'createdAt', 'description', 'entryId', 'hash', 'metadata', 'reference', 'transactionId', 'type'],
      );
      expect(Object.keys(schema('BalanceAtDto').properties).sort()).toEqual(['at', 'available', 'balance', 'currency', 'held', 'walletId']);
      expect(doc.paths['/v1/reports/monthly'].get.responses['200'].content['text/csv'].example).toMatch(/^section,period,type,referencePrefix,count,amount,refundCount,refundedAmount,currency,toCurrency,convertedAmount\r\n/);
    });
  });
});

describe('exports under their own timeouts (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // node-postgres gives up on a query 0.5 s past DB_STATEMENT_TIMEOUT_MS (database-options.ts), here at 1 s. An
    // export runs under its own 5-minute statement timeout and must have as long on the client side too.
    t = await startTestApp({ DB_STATEMENT_TIMEOUT_MS: '500', DB_LOCK_TIMEOUT_MS: '30000', HOLD_SWEEP_INTERVAL_MS: '0' });
  });
  afterAll(() => t.close());

  it("a statement CSV and a monthly report kept waiting past the pool's query timeout still arrive whole", async () => {
    const walletId = await fundedWallet(t.http, 1_234);
    const now = new Date();
    const outsider = await t.db.pool.connect();
    let statementCsv: Promise<Response> | undefined;
    let monthly: Promise<Response> | undefined;
    try {
      await outsider.query('BEGIN');
      await outsider.query('LOCK TABLE entries, transactions IN ACCESS EXCLUSIVE MODE');
      statementCsv = t.http.get(`/v1/wallets/${walletId}/statement`).set(AUTH).set('Accept', 'text/csv').then((res) => res);
      monthly = t.http
        .get('/v1/reports/monthly')
        .query({ year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, currency: 'EUR' })
        .set(AUTH)
        .then((res) => res);
      // The statement waits in its opening-balance query, the report in its streamed query (with its COMMIT
      // queued behind it): both for longer than the pool's query timeout, as PostgreSQL counts it.
      for (let attempt = 0; ; attempt++) {
        const { rows } = await t.db.pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND now() - query_start > interval '1500 milliseconds'`,
        );
        if (rows[0].n === 2) break;
        if (attempt === 200) throw new Error('the exports never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await outsider.query('COMMIT');
    } finally {
      outsider.release();
    }
    const statementRes = await statementCsv!;
    expect(statementRes.status).toBe(200);
    const statementRows = csvObjects(statementRes.text, STATEMENT_COLUMNS);
    expect(statementRows.map((row) => row.section)).toEqual(['opening', 'entry', 'closing']);
    expect(statementRows[2]).toMatchObject({ balanceAfter: '1234' });
    const monthlyRes = await monthly!;
    expect(monthlyRes.status).toBe(200);
    expect(csvObjects(monthlyRes.text, REPORT_COLUMNS)).toContainEqual(expect.objectContaining({ section: 'month', type: 'deposit', amount: '1234' }));
  });
});
