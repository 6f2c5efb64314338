import { randomUUID } from 'node:crypto';
import { expectProblem } from '../support/expect-problem.js';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { ManualClock, manualClock } from '../support/manual-clock.js';
import { ACME_AUTH, AUTH, fundedWallet, newWallet, READER_AUTH, startTestApp, TestApp, WRITER_AUTH } from '../support/test-app.js';

/**
 * Several currencies over HTTP: operator rates (PUT /v1/admin/fx-rates), FX quotes computed exactly across ISO 4217
 * exponents, conversions with four entries that balance per currency, quotes used once (also by 20 at once), expiry
 * on the service's clock, balances shown in another currency, the self-check and the monthly report. After every
 * test the ledger's invariants are checked with SQL.
 */

type Body = Record<string, any>;
const MAX = Number.MAX_SAFE_INTEGER;
const minor = (currency: string) => ({ JPY: 0, CLP: 0, KWD: 3, BHD: 3 })[currency] ?? 2;

describe('several currencies (e2e)', () => {
  let t: TestApp;
  let clock: ManualClock | undefined;

  beforeAll(async () => {
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
  });
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await expectLedgerInvariants(t.db.pool);
  });
  afterAll(() => t.close());

  const setRate = (from: string, to: string, rate: unknown, auth: Record<string, string> = AUTH) =>
    t.http.put(`/v1/admin/fx-rates/${from}/${to}`).set(auth).send({ rate });
  const quote = (body: Body, auth: Record<string, string> = AUTH) => t.http.post('/v1/fx-quotes').set(auth).send(body);
  const convert = (body: Body, auth: Record<string, string> = AUTH) => t.http.post('/v1/conversions').set(auth).send(body);
  async function newQuote(body: Body, auth: Record<string, string> = AUTH): Promise<Body> {
    const res = await quote(body, auth);
    expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: expect.any(Object) });
    return res.body;
  }
  const wallet = async (id: string, query = '') => (await t.http.get(`/v1/wallets/${id}${query}`).set(AUTH).expect(200)).body;

  it("the README's cross-currency order: EUR top-up, quote, conversion to a USD seller, the buyer's balance in USD", async () => {
    const key = (name: string) => ({ 'Idempotency-Key': `${name}-${randomUUID()}` });
    expect((await setRate('EUR', 'USD', '1.0842').expect(200)).body).toEqual(expect.objectContaining({ rate: '1.0842' }));
    const buyer = await newWallet(t.http, { currency: 'EUR' });
    const seller = await newWallet(t.http, { currency: 'USD' });
    await t.http.post(`/v1/wallets/${buyer}/deposits`).set(AUTH).set(key('topup')).send({ amount: 10_000, reference: 'card-8812' }).expect(201);
    const q = (await t.http.post('/v1/fx-quotes').set(AUTH).set(key('quote')).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 4_990, expiresInSeconds: 60 }).expect(201)).body;
    expect(q.convertedAmount).toBe(5_410);
    const payKey = key('pay');
    const body = { quoteId: q.id, fromWalletId: buyer, toWalletId: seller, reference: 'order-2077' };
    const paid = await t.http.post('/v1/conversions').set(AUTH).set(payKey).send(body).expect(201);
    expect(paid.body).toEqual(expect.objectContaining({ type: 'conversion', amount: 4_990, currency: 'EUR', convertedAmount: 5_410, toCurrency: 'USD' }));
    expect(paid.body.entries.map((e: Body) => [e.walletId ?? e.account, e.amount])).toEqual([[buyer, -4_990], ['fx:EUR', 4_990], ['fx:USD', -5_410], [seller, 5_410]]);
    const retried = await t.http.post('/v1/conversions').set(AUTH).set(payKey).send(body).expect(201);
    expect([retried.headers['idempotency-replayed'], retried.body.id]).toEqual(['true', paid.body.id]);
    expect((await t.http.get(`/v1/fx-quotes/${q.id}`).set(AUTH).expect(200)).body).toEqual(expect.objectContaining({ status: 'used', transactionId: paid.body.id }));
    expect(await wallet(buyer, '?displayCurrency=USD')).toEqual(expect.objectContaining({ balance: 5_010, display: expect.objectContaining({ balance: 5_431, estimate: true }) }));
    expect((await wallet(seller)).balance).toBe(5_410);
  });

  describe('rates', () => {
    it('PUT sets a rate for the pair (admin scope), answers it in its shortest decimal text, and keeps every rate set', async () => {
      const first = await setRate('CHF', 'SEK', '11.2500').expect(200);
      expect(first.body).toEqual({ fromCurrency: 'CHF', toCurrency: 'SEK', rate: '11.25', updatedAt: expect.any(String) });
      expect(Object.keys(first.body).sort()).toEqual(['fromCurrency', 'rate', 'toCurrency', 'updatedAt']);
      const second = await setRate('CHF', 'SEK', '11.3').expect(200);
      expect(second.body.rate).toBe('11.3');
      const list = await t.http.get('/v1/admin/fx-rates').set(AUTH).expect(200);
      expect(list.body.data.filter((r: Body) => r.fromCurrency === 'CHF' && r.toCurrency === 'SEK')).toEqual([second.body]);
      const { rows } = await t.db.pool.query(
        `SELECT rate::text, set_by FROM fx_rates WHERE tenant_id = 'default' AND from_currency = 'CHF' AND to_currency = 'SEK' ORDER BY id`,
      );
      expect(rows).toEqual([{ rate: '11.25', set_by: 'shop' }, { rate: '11.3', set_by: 'shop' }]);
    });

    it.each([
      ['zero', '0'], ['zero with decimals', '0.000'], ['negative', '-1.1'], ['an exponent', '1e3'], ['a JSON number', 1.1], ['a leading zero', '01.5'],
      ['13 integer digits', '1000000000000'], ['13 fraction digits', '1.0000000000001'], ['a comma', '1,5'], ['empty', ''], ['null', null],
      ['an object', { value: '1' }], ['padded', ' 1.5'],
    ])('refuses a rate that is %s: 400', async (_, rate) => {
      expectProblem(await setRate('EUR', 'USD', rate), 400, 'VALIDATION_FAILED', 'rate');
    });

    it('refuses an unknown field, a pair of one currency, an unknown code and a code without a minor unit (400)', async () => {
      expectProblem(await t.http.put('/v1/admin/fx-rates/EUR/USD').set(AUTH).send({ rate: '1.1', tenantId: 'acme' }), 400, 'VALIDATION_FAILED', 'tenantId');
      expectProblem(await setRate('EUR', 'EUR', '1'), 400, 'VALIDATION_FAILED', 'to');
      expectProblem(await setRate('eur', 'USD', '1'), 400, 'VALIDATION_FAILED', 'from');
      expectProblem(await setRate('EUR', 'ZZZ', '1'), 400, 'VALIDATION_FAILED', 'to');
      expectProblem(await setRate('XDR', 'USD', '1.4'), 400, 'VALIDATION_FAILED', 'from');
    });

    it('needs the admin scope, and belongs to the tenant of the key that set it', async () => {
      expectProblem(await setRate('EUR', 'NOK', '11', WRITER_AUTH), 403, 'FORBIDDEN');
      expectProblem(await setRate('EUR', 'NOK', '11', READER_AUTH), 403, 'FORBIDDEN');
      expectProblem(await t.http.get('/v1/admin/fx-rates').set(READER_AUTH), 403, 'FORBIDDEN');
      await setRate('EUR', 'NOK', '11.5', ACME_AUTH).expect(200);
      const mine = await t.http.get('/v1/admin/fx-rates').set(AUTH).expect(200);
      expect(mine.body.data.find((r: Body) => r.fromCurrency === 'EUR' && r.toCurrency === 'NOK')).toBeUndefined();
      expectProblem(await quote({ fromCurrency: 'EUR', toCurrency: 'NOK', amount: 100 }), 422, 'RATE_UNAVAILABLE');
      expect((await newQuote({ fromCurrency: 'EUR', toCurrency: 'NOK', amount: 100 }, ACME_AUTH)).convertedAmount).toBe(1150);
    });
  });

  describe('quotes', () => {
    beforeAll(async () => {
      for (const [from, to, rate] of [
        ['EUR', 'USD', '1.0842'], ['USD', 'EUR', '0.9223'], ['EUR', 'JPY', '162.37'], ['JPY', 'KWD', '0.002053'], ['KWD', 'JPY', '487.123'],
        ['GBP', 'USD', '1.1'], ['USD', 'GBP', '0.7'], ['AUD', 'NZD', '0.1'], ['CAD', 'EUR', '1.15'], ['SGD', 'EUR', '0.29'],
        ['CHF', 'JPY', '1.005'], ['EUR', 'KWD', '0.33'], ['USD', 'CHF', '0.999999999999'], ['USD', 'CAD', '1.000000000001'],
        ['BHD', 'CLP', '2500.5'], ['CLP', 'BHD', '0.0004'],
      ]) await setRate(from!, to!, rate).expect(200);
    });

    it('answers 201 with the contract fields: amount × rate in the target’s minor units, rounded down, valid 30 s by default', async () => {
      const before = Date.now();
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 2500 });
      expect(q).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/), fromCurrency: 'EUR', toCurrency: 'USD', amount: 2500, convertedAmount: 2710,
        rate: '1.0842', expiresAt: expect.any(String), createdAt: expect.any(String), status: 'active',
      });
      expect(new Date(q.expiresAt).getTime() - new Date(q.createdAt).getTime()).toBe(30_000);
      expect(new Date(q.createdAt).getTime()).toBeGreaterThanOrEqual(before - 1);
      const custom = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 2500, expiresInSeconds: 600 });
      expect(new Date(custom.expiresAt).getTime() - new Date(custom.createdAt).getTime()).toBe(600_000);
      expect((await t.http.get(`/v1/fx-quotes/${q.id}`).set(READER_AUTH).expect(200)).body).toEqual(q);
    });

    // [pair, amount, exact convertedAmount]: rates where binary floating point goes wrong, and the exponent combinations
    it.each([
      ['GBP→USD at 1.1, 3 pence (float: 3.3000000000000003)', 'GBP', 'USD', 3, 3],
      ['USD→GBP at 0.7, 10 cents (float: 7.000000000000001)', 'USD', 'GBP', 10, 7],
      ['AUD→NZD at 0.1, 30 cents (float: 3.0000000000000004)', 'AUD', 'NZD', 30, 3],
      ['CAD→EUR at 1.15, 100 cents (float floor: 114)', 'CAD', 'EUR', 100, 115],
      ['SGD→EUR at 0.29, 100 cents (float floor: 28)', 'SGD', 'EUR', 100, 29],
      ['EUR→USD at 1.0842, 1 cent: 1.0842 → 1', 'EUR', 'USD', 1, 1],
      ['EUR→JPY (2→0) at 162.37, €1.00 = ¥162.37 → 162', 'EUR', 'JPY', 100, 162],
      ['EUR→JPY (2→0) at 162.37, 1 cent = ¥1.6237 → 1', 'EUR', 'JPY', 1, 1],
      ['CHF→JPY (2→0) at 1.005, CHF 1000 (float floor: 1004)', 'CHF', 'JPY', 100_000, 1005],
      ['JPY→KWD (0→3) at 0.002053, ¥1000 = 2.053 KWD → 2053 fils', 'JPY', 'KWD', 1000, 2053],
      ['JPY→KWD (0→3) at 0.002053, ¥1 = 2.053 fils → 2', 'JPY', 'KWD', 1, 2],
      ['KWD→JPY (3→0) at 487.123, 1.234 KWD → ¥601', 'KWD', 'JPY', 1234, 601],
      ['KWD→JPY (3→0) at 487.123, 3 fils = ¥1.461369 → 1', 'KWD', 'JPY', 3, 1],
      ['EUR→KWD (2→3) at 0.33, 1 cent = 3.3 fils → 3', 'EUR', 'KWD', 1, 3],
      ['BHD→CLP (3→0) at 2500.5, 1 fils = 2.5005 pesos → 2', 'BHD', 'CLP', 1, 2],
      ['CLP→BHD (0→3) at 0.0004, 2500 pesos = 1 BHD = 1000 fils', 'CLP', 'BHD', 2500, 1000],
      ['CLP→BHD (0→3) at 0.0004, 3 pesos = 1.2 fils → 1', 'CLP', 'BHD', 3, 1],
      ['USD→CHF at 0.999999999999, 2^53 − 1 cents', 'USD', 'CHF', MAX, 9007199254731983],
      ['KWD→JPY (3→0) at 487.123, 2^53 − 1 fils', 'KWD', 'JPY', MAX, 4387613922567195],
    ])('%s', async (_, fromCurrency, toCurrency, amount, convertedAmount) => {
      expect((await newQuote({ fromCurrency, toCurrency, amount })).convertedAmount).toBe(convertedAmount);
    });

    it.each([
      ['converts to 0: 2 pesos at 0.0004 (0.8 fils)', 'CLP', 'BHD', 2, 'are 0 BHD minor units; amounts from 3 to'],
      ['converts to 0: 9 cents at 0.1', 'AUD', 'NZD', 9, 'are 0 NZD minor units; amounts from 10 to'],
      ['converts past 2^53 − 1: 2^53 − 1 cents at 1.000000000001', 'USD', 'CAD', MAX, 'beyond the ±9007199254740991 the service keeps; amounts from 1 to 9007199254731984 USD'],
      ['converts past 2^53 − 1: 2^53 − 1 yen at 0.002053 (0→3)', 'JPY', 'KWD', MAX, 'beyond the ±9007199254740991'],
      ['converts past 2^53 − 1: 2^53 − 1 cents into yen at 162.37 (2→0)', 'EUR', 'JPY', MAX, 'beyond the ±9007199254740991'],
    ])('an amount that %s → 422 AMOUNT_NOT_CONVERTIBLE naming the amounts that convert', async (_, fromCurrency, toCurrency, amount, detail) => {
      const res = await quote({ fromCurrency, toCurrency, amount });
      expectProblem(res, 422, 'AMOUNT_NOT_CONVERTIBLE');
      expect(res.body.detail).toContain(detail);
    });

    it('agrees with PostgreSQL numeric on 300 seeded random quotes across exponents 0, 2 and 3 (the schema recomputes each one it stores)', async () => {
      let seed = 0xfeed;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const pairs = [['EUR', 'JPY'], ['JPY', 'KWD'], ['KWD', 'JPY'], ['EUR', 'KWD'], ['BHD', 'CLP'], ['CLP', 'BHD'], ['GBP', 'USD']] as const;
      let made = 0;
      for (let i = 0; i < 300; i++) {
        const [from, to] = pairs[i % pairs.length]!;
        const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
        const rate = `${Number(digits(1 + Math.floor(next() * 4)))}.${digits(1 + Math.floor(next() * 12))}`;
        if (!/[1-9]/.test(rate)) continue;
        await setRate(from, to, rate).expect(200);
        const amount = Number(BigInt(digits(1 + Math.floor(next() * 15))) % BigInt(MAX)) + 1;
        const res = await quote({ fromCurrency: from, toCurrency: to, amount });
        if (res.status === 422) {
          expect(res.body.code).toBe('AMOUNT_NOT_CONVERTIBLE');
          continue;
        }
        expect(res.status).toBe(201);
        const { rows } = await t.db.pool.query(
          `SELECT floor($1::numeric * $2::numeric * power(10::numeric, $3::int - $4::int))::text AS exact`,
          [amount, rate, minor(to), minor(from)],
        );
        expect([from, to, rate, amount, String(res.body.convertedAmount)]).toEqual([from, to, rate, amount, rows[0].exact]);
        made++;
      }
      expect(made).toBeGreaterThan(200);
    });

    it('the schema refuses a quote whose convertedAmount is not amount × rate rounded down', async () => {
      const insert = (converted: number) =>
        t.db.pool.query(
          `INSERT INTO fx_quotes (id, tenant_id, from_currency, to_currency, amount, converted_amount, rate, from_exponent, to_exponent, expires_at, created_at)
           VALUES (gen_random_uuid(), 'default', 'EUR', 'JPY', 100, $1, 162.37, 2, 0, now() + interval '30 seconds', now())`,
          [converted],
        );
      await expect(insert(163)).rejects.toThrow(/fx_quotes_converted_exactly/);
      await expect(insert(161)).rejects.toThrow(/fx_quotes_converted_exactly/);
      await insert(162);
    });

    it('a pair without a rate → 422 RATE_UNAVAILABLE; a rate is never inverted; XDR has no minor unit', async () => {
      expectProblem(await quote({ fromCurrency: 'EUR', toCurrency: 'MXN', amount: 100 }), 422, 'RATE_UNAVAILABLE');
      expectProblem(await quote({ fromCurrency: 'JPY', toCurrency: 'EUR', amount: 100 }), 422, 'RATE_UNAVAILABLE');
      expectProblem(await quote({ fromCurrency: 'XDR', toCurrency: 'EUR', amount: 100 }), 422, 'RATE_UNAVAILABLE');
    });

    it.each([
      ['the same currency twice', { fromCurrency: 'EUR', toCurrency: 'EUR', amount: 100 }, 'toCurrency'],
      ['amount 0', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 0 }, 'amount'],
      ['amount 2^53', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 2 ** 53 }, 'amount'],
      ['a fractional amount', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 1.5 }, 'amount'],
      ['an amount as a string', { fromCurrency: 'EUR', toCurrency: 'USD', amount: '100' }, 'amount'],
      ['a currency in lower case', { fromCurrency: 'eur', toCurrency: 'USD', amount: 100 }, 'fromCurrency'],
      ['an unknown currency', { fromCurrency: 'EUR', toCurrency: 'ZZZ', amount: 100 }, 'toCurrency'],
      ['expiresInSeconds 0', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 100, expiresInSeconds: 0 }, 'expiresInSeconds'],
      ['expiresInSeconds 601', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 100, expiresInSeconds: 601 }, 'expiresInSeconds'],
      ['expiresInSeconds null', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 100, expiresInSeconds: null }, 'expiresInSeconds'],
      ['a rate of its own', { fromCurrency: 'EUR', toCurrency: 'USD', amount: 100, rate: '2' }, 'rate'],
      ['no amount', { fromCurrency: 'EUR', toCurrency: 'USD' }, 'amount'],
    ])('refuses %s: 400 naming the field', async (_, body, field) => {
      expectProblem(await quote(body), 400, 'VALIDATION_FAILED', field);
    });

    it('is idempotent: the same key and body answers the first quote again, another body 422', async () => {
      const key = randomUUID();
      const first = await t.http.post('/v1/fx-quotes').set(AUTH).set('Idempotency-Key', key).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1000 }).expect(201);
      await setRate('EUR', 'USD', '2').expect(200);
      try {
        const again = await t.http.post('/v1/fx-quotes').set(AUTH).set('Idempotency-Key', key).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1000 }).expect(201);
        expect(again.body).toEqual(first.body);
        expect(again.headers['idempotency-replayed']).toBe('true');
        expectProblem(await t.http.post('/v1/fx-quotes').set(AUTH).set('Idempotency-Key', key).send({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1001 }), 422, 'IDEMPOTENCY_KEY_REUSED');
        // a new quote uses the new rate
        expect((await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1000 })).convertedAmount).toBe(2000);
        // a refusal is kept with its key too
        const refusedKey = randomUUID();
        expectProblem(await t.http.post('/v1/fx-quotes').set(AUTH).set('Idempotency-Key', refusedKey).send({ fromCurrency: 'EUR', toCurrency: 'PLN', amount: 1 }), 422, 'RATE_UNAVAILABLE');
        await setRate('EUR', 'PLN', '4.3').expect(200);
        expectProblem(await t.http.post('/v1/fx-quotes').set(AUTH).set('Idempotency-Key', refusedKey).send({ fromCurrency: 'EUR', toCurrency: 'PLN', amount: 1 }), 422, 'RATE_UNAVAILABLE');
      } finally {
        await setRate('EUR', 'USD', '1.0842').expect(200);
      }
    });

    it("GET: another tenant's quote answers exactly as an unknown one; a bad id is a 400", async () => {
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 100 });
      const theirs = await t.http.get(`/v1/fx-quotes/${q.id}`).set(ACME_AUTH);
      const unknown = randomUUID();
      const none = await t.http.get(`/v1/fx-quotes/${unknown}`).set(ACME_AUTH);
      expectProblem(theirs, 404, 'QUOTE_NOT_FOUND');
      expectProblem(none, 404, 'QUOTE_NOT_FOUND');
      expect(theirs.body.detail.replace(q.id, '<id>')).toBe(none.body.detail.replace(unknown, '<id>'));
      expectProblem(await t.http.get('/v1/fx-quotes/nope').set(AUTH), 400, 'VALIDATION_FAILED', 'id');
    });
  });

  describe('conversions', () => {
    beforeAll(async () => {
      await setRate('EUR', 'USD', '1.0842').expect(200);
      await setRate('USD', 'EUR', '0.9223').expect(200);
      await setRate('EUR', 'JPY', '162.37').expect(200);
    });

    it('posts one conversion with four entries through fx:EUR and fx:USD; each currency sums to zero', async () => {
      const buyer = await fundedWallet(t.http, 10_000, { currency: 'EUR' });
      const seller = await newWallet(t.http, { currency: 'USD' });
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 4990 });
      expect(q.convertedAmount).toBe(5410); // 49.90 × 1.0842 = 54.10158
      const res = await convert({ quoteId: q.id, fromWalletId: buyer, toWalletId: seller, reference: 'order-77', metadata: { order: 77 } }).expect(201);
      const tx = res.body;
      expect(tx).toEqual({
        id: expect.any(String), type: 'conversion', status: 'posted', amount: 4990, currency: 'EUR', fromWalletId: buyer, toWalletId: seller,
        quoteId: q.id, toCurrency: 'USD', convertedAmount: 5410, rate: '1.0842', refundedAmount: 0, reference: 'order-77',
        metadata: { order: 77 }, createdAt: expect.any(String),
        entries: [
          // each wallet leg chained into its wallet's hash chain; the fx: accounts have none
          { walletId: buyer, amount: -4990, balanceAfter: 5010, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
          { account: 'fx:EUR', amount: 4990 },
          { account: 'fx:USD', amount: -5410 },
          { walletId: seller, amount: 5410, balanceAfter: 5410, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
        ],
      });
      expect((await wallet(buyer)).balance).toBe(5010);
      expect((await wallet(seller)).balance).toBe(5410);
      expect((await t.http.get(`/v1/transactions/${tx.id}`).set(AUTH).expect(200)).body).toEqual(tx);
      for (const id of [buyer, seller]) {
        const history = await t.http.get(`/v1/wallets/${id}/transactions`).query({ type: 'conversion' }).set(AUTH).expect(200);
        expect(history.body.data).toEqual([tx]);
      }
      const { rows } = await t.db.pool.query(`SELECT currency, sum(amount)::text AS total, count(*)::int AS n FROM entries WHERE transaction_id = $1 GROUP BY currency ORDER BY currency`, [tx.id]);
      expect(rows).toEqual([{ currency: 'EUR', total: '0', n: 2 }, { currency: 'USD', total: '0', n: 2 }]);
      expect((await t.http.get(`/v1/fx-quotes/${q.id}`).set(AUTH).expect(200)).body).toEqual({ ...q, status: 'used', transactionId: tx.id });
      // the statement of the receiving wallet shows it
      const statement = await t.http.get(`/v1/wallets/${seller}/statement`).set(AUTH).expect(200);
      expect(statement.body.entries).toEqual([expect.objectContaining({ transactionId: tx.id, type: 'conversion', amount: 5410, balanceAfter: 5410 })]);
    });

    it('a quote is used once: a second conversion → 409 QUOTE_USED, and nothing more moves', async () => {
      const from = await fundedWallet(t.http, 10_000, { currency: 'EUR' });
      const to = await newWallet(t.http, { currency: 'USD' });
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1000 });
      await convert({ quoteId: q.id, fromWalletId: from, toWalletId: to }).expect(201);
      const other = await newWallet(t.http, { currency: 'USD' });
      expectProblem(await convert({ quoteId: q.id, fromWalletId: from, toWalletId: other }), 409, 'QUOTE_USED');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: from, toWalletId: to }), 409, 'QUOTE_USED');
      expect([(await wallet(from)).balance, (await wallet(to)).balance, (await wallet(other)).balance]).toEqual([9000, 1084, 0]);
    });

    it('is idempotent: the same key answers the first conversion again and moves money once; another body 422', async () => {
      const from = await fundedWallet(t.http, 10_000, { currency: 'EUR' });
      const to = await newWallet(t.http, { currency: 'USD' });
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1000 });
      const key = randomUUID();
      const body = { quoteId: q.id, fromWalletId: from, toWalletId: to };
      const first = await t.http.post('/v1/conversions').set(AUTH).set('Idempotency-Key', key).send(body).expect(201);
      const again = await t.http.post('/v1/conversions').set(AUTH).set('Idempotency-Key', key).send(body).expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expectProblem(await t.http.post('/v1/conversions').set(AUTH).set('Idempotency-Key', key).send({ ...body, reference: 'x' }), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect((await wallet(from)).balance).toBe(9000);
    });

    it('at or after expiresAt → 422 QUOTE_EXPIRED (on the service clock); just before, it converts', async () => {
      clock = manualClock(t.app, new Date(Date.now() + 60_000));
      const from = await fundedWallet(t.http, 10_000, { currency: 'EUR' });
      const to = await newWallet(t.http, { currency: 'USD' });
      const early = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 100, expiresInSeconds: 5 });
      const late = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 100, expiresInSeconds: 5 });
      clock.advance(4_999);
      await convert({ quoteId: early.id, fromWalletId: from, toWalletId: to }).expect(201);
      clock.advance(1);
      const res = await convert({ quoteId: late.id, fromWalletId: from, toWalletId: to });
      expectProblem(res, 422, 'QUOTE_EXPIRED');
      expect(res.body.detail).toContain(late.expiresAt);
      expect((await t.http.get(`/v1/fx-quotes/${late.id}`).set(AUTH).expect(200)).body.status).toBe('expired');
      expect((await wallet(from)).balance).toBe(9900);
    });

    it('refuses what does not fit the quote or the wallets, moving nothing', async () => {
      const eur = await fundedWallet(t.http, 1_000, { currency: 'EUR' });
      const usd = await fundedWallet(t.http, 1_000, { currency: 'USD' });
      const jpy = await newWallet(t.http, { currency: 'JPY' });
      const frozen = await newWallet(t.http, { currency: 'USD' });
      await t.http.patch(`/v1/wallets/${frozen}`).set(AUTH).send({ status: 'frozen' }).expect(200);
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 500 });
      const big = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1_001 });
      const unknown = randomUUID();
      expectProblem(await convert({ quoteId: unknown, fromWalletId: eur, toWalletId: usd }), 404, 'QUOTE_NOT_FOUND');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: unknown, toWalletId: usd }), 404, 'WALLET_NOT_FOUND');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: unknown }), 404, 'WALLET_NOT_FOUND');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: usd, toWalletId: eur }), 422, 'CURRENCY_MISMATCH');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: jpy }), 422, 'CURRENCY_MISMATCH');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: eur }), 422, 'SAME_WALLET');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: frozen }), 422, 'WALLET_NOT_ACTIVE');
      expectProblem(await convert({ quoteId: big.id, fromWalletId: eur, toWalletId: usd }), 422, 'INSUFFICIENT_FUNDS');
      expectProblem(await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: usd }, ACME_AUTH), 404, 'QUOTE_NOT_FOUND');
      for (const [body, field] of [
        [{ quoteId: 'nope', fromWalletId: eur, toWalletId: usd }, 'quoteId'],
        [{ quoteId: q.id, fromWalletId: eur }, 'toWalletId'],
        [{ quoteId: q.id, fromWalletId: eur, toWalletId: usd, amount: 5 }, 'amount'],
        [{ quoteId: q.id, fromWalletId: eur, toWalletId: usd, metadata: { a: { b: 1 } } }, 'metadata'],
      ] as const) expectProblem(await convert(body), 400, 'VALIDATION_FAILED', field);
      expect([(await wallet(eur)).balance, (await wallet(usd)).balance]).toEqual([1000, 1000]);
      // and the refused quote is still there to use
      await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: usd }).expect(201);
    });

    it('counts holds and the overdraft limit as every funds check does', async () => {
      const eur = await fundedWallet(t.http, 1_000, { currency: 'EUR', overdraftLimit: 200 });
      const usd = await newWallet(t.http, { currency: 'USD' });
      await t.http.post('/v1/holds').set(AUTH).send({ walletId: eur, amount: 300 }).expect(201);
      const over = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 901 });
      expectProblem(await convert({ quoteId: over.id, fromWalletId: eur, toWalletId: usd }), 422, 'INSUFFICIENT_FUNDS');
      const fits = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 900 });
      await convert({ quoteId: fits.id, fromWalletId: eur, toWalletId: usd }).expect(201);
      expect(await wallet(eur)).toEqual(expect.objectContaining({ balance: 100, held: 300, available: -200 }));
    });

    it("counts against the payer's debit limits and the receiver's maxBalance, under the same locks as every move", async () => {
      await setRate('EUR', 'USD', '2').expect(200);
      const payer = await fundedWallet(t.http, 10_000, { currency: 'EUR', limits: { dailyDebit: 1_000 } });
      const receiver = await newWallet(t.http, { currency: 'USD', limits: { maxBalance: 2_200 } });
      const first = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 600 });
      await convert({ quoteId: first.id, fromWalletId: payer, toWalletId: receiver }).expect(201);
      expect((await wallet(payer)).limitUsage.dailyDebit).toEqual(expect.objectContaining({ used: 600, remaining: 400 }));
      // 500 more would pass the payer's daily 1,000
      const over = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 500 });
      expectProblem(await convert({ quoteId: over.id, fromWalletId: payer, toWalletId: receiver }), 422, 'LIMIT_EXCEEDED');
      // 400 more fits the payer's limit exactly and takes the receiver to 1,200 + 800 = 2,000 USD; then another payer's
      // 200 EUR (400 USD) would take it past its maxBalance of 2,200
      const fits = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 400 });
      await convert({ quoteId: fits.id, fromWalletId: payer, toWalletId: receiver }).expect(201);
      const other = await fundedWallet(t.http, 10_000, { currency: 'EUR' });
      const tooMuch = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 200 });
      expectProblem(await convert({ quoteId: tooMuch.id, fromWalletId: other, toWalletId: receiver }), 422, 'LIMIT_EXCEEDED');
      expect((await wallet(receiver)).balance).toBe(2_000);
      expect((await wallet(payer)).balance).toBe(9_000);
      // a refused quote was not used: it converts elsewhere
      await convert({ quoteId: over.id, fromWalletId: other, toWalletId: await newWallet(t.http, { currency: 'USD' }) }).expect(201);
      await setRate('EUR', 'USD', '1.0842').expect(200);
    });

    it('is not refunded: 422 TRANSACTION_NOT_REFUNDABLE (convert back with a quote the other way)', async () => {
      const eur = await fundedWallet(t.http, 1_000, { currency: 'EUR' });
      const usd = await newWallet(t.http, { currency: 'USD' });
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1_000 });
      const tx = (await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: usd }).expect(201)).body;
      expectProblem(await t.http.post(`/v1/transactions/${tx.id}/refunds`).set(AUTH).send({}), 422, 'TRANSACTION_NOT_REFUNDABLE');
      const back = await newQuote({ fromCurrency: 'USD', toCurrency: 'EUR', amount: tx.convertedAmount });
      expect(back.convertedAmount).toBe(999); // 1084 × 0.9223 = 999.7732: rounding down never hands back more than came in
      await convert({ quoteId: back.id, fromWalletId: usd, toWalletId: eur }).expect(201);
      expect([(await wallet(eur)).balance, (await wallet(usd)).balance]).toEqual([999, 0]);
    });

    it('20 conversions with one quote at once, between 20 pairs of wallets (only the quote in common): exactly one 201, nineteen 409 QUOTE_USED, money exact', async () => {
      const payers = await Promise.all(Array.from({ length: 20 }, () => fundedWallet(t.http, 50_000, { currency: 'EUR' })));
      const receivers = await Promise.all(Array.from({ length: 20 }, () => newWallet(t.http, { currency: 'USD' })));
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 12_345 });
      const answers = await Promise.all(
        receivers.map((to, i) =>
          t.http.post('/v1/conversions').set(AUTH).set('Idempotency-Key', `race-${q.id}-${i}`).send({ quoteId: q.id, fromWalletId: payers[i], toWalletId: to }),
        ),
      );
      expect(answers.map((res) => res.status).sort()).toEqual([201, ...Array(19).fill(409)]);
      for (const res of answers.filter((r) => r.status === 409)) expectProblem(res, 409, 'QUOTE_USED');
      const winner = answers.findIndex((res) => res.status === 201);
      const paid = await Promise.all(payers.map(async (id) => 50_000 - (await wallet(id)).balance));
      const received = await Promise.all(receivers.map(async (id) => (await wallet(id)).balance));
      expect(paid).toEqual(payers.map((_, i) => (i === winner ? 12_345 : 0)));
      expect(received).toEqual(receivers.map((_, i) => (i === winner ? 13_384 : 0))); // 123.45 × 1.0842 = 133.84449
      const { rows } = await t.db.pool.query(`SELECT count(*)::int AS n FROM transactions WHERE quote_id = $1`, [q.id]);
      expect(rows).toEqual([{ n: 1 }]);
      // every loser's key replays its refusal
      const loser = answers.findIndex((res) => res.status === 409);
      const replay = await t.http.post('/v1/conversions').set(AUTH).set('Idempotency-Key', `race-${q.id}-${loser}`)
        .send({ quoteId: q.id, fromWalletId: payers[loser], toWalletId: receivers[loser] });
      expectProblem(replay, 409, 'QUOTE_USED');
    });

    it('conversions both ways between the same two wallets at once queue on the wallets (ascending id order), never deadlock', async () => {
      const eur = await fundedWallet(t.http, 100_000, { currency: 'EUR' });
      const usd = await fundedWallet(t.http, 100_000, { currency: 'USD' });
      const there = await Promise.all(Array.from({ length: 10 }, () => newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 1_000 })));
      const back = await Promise.all(Array.from({ length: 10 }, () => newQuote({ fromCurrency: 'USD', toCurrency: 'EUR', amount: 1_000 })));
      const answers = await Promise.all([
        ...there.map((q) => convert({ quoteId: q.id, fromWalletId: eur, toWalletId: usd })),
        ...back.map((q) => convert({ quoteId: q.id, fromWalletId: usd, toWalletId: eur })),
      ]);
      expect(answers.map((res) => res.status)).toEqual(Array(20).fill(201));
      // 10 × (−1000 + 922) EUR and 10 × (−1000 + 1084) USD
      expect([(await wallet(eur)).balance, (await wallet(usd)).balance]).toEqual([100_000 - 780, 100_000 + 840]);
    });

    it('20 conversions of one quote between the same two wallets at once: one posts, the wallets queue', async () => {
      const from = await fundedWallet(t.http, 100_000, { currency: 'EUR' });
      const to = await newWallet(t.http, { currency: 'JPY' });
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'JPY', amount: 999 });
      const answers = await Promise.all(Array.from({ length: 20 }, () => convert({ quoteId: q.id, fromWalletId: from, toWalletId: to })));
      expect(answers.map((res) => res.status).sort()).toEqual([201, ...Array(19).fill(409)]);
      expect([(await wallet(from)).balance, (await wallet(to)).balance]).toEqual([100_000 - 999, 1622]); // 9.99 × 162.37 = 1622.0763
    });
  });

  describe('balances in another currency', () => {
    beforeAll(async () => {
      await setRate('EUR', 'USD', '1.0842').expect(200);
      await setRate('EUR', 'JPY', '162.37').expect(200);
      await setRate('JPY', 'KWD', '0.002053').expect(200);
      await setRate('EUR', 'CHF', '0.93').expect(200);
    });

    it('GET /v1/wallets/{id}?displayCurrency= adds display at the current rate, each amount rounded down, marked an estimate', async () => {
      const id = await fundedWallet(t.http, 12_345, { currency: 'EUR' });
      await t.http.post('/v1/holds').set(AUTH).send({ walletId: id, amount: 345 }).expect(201);
      const plain = await wallet(id);
      expect(plain.display).toBeUndefined();
      const shown = await wallet(id, '?displayCurrency=USD');
      expect(shown).toEqual({
        ...plain,
        updatedAt: expect.any(String),
        display: { currency: 'USD', balance: 13384, available: 13010, rate: '1.0842', rateUpdatedAt: expect.any(String), estimate: true },
      });
      expect((await wallet(id, '?displayCurrency=JPY')).display).toEqual(expect.objectContaining({ currency: 'JPY', balance: 20044, available: 19484 }));
      expect((await wallet(id, '?displayCurrency=EUR')).display).toEqual({ currency: 'EUR', balance: 12345, available: 12000, rate: '1', estimate: true });
    });

    it('rounds a negative available amount down too, and converts across exponents (0→3)', async () => {
      const eur = await fundedWallet(t.http, 100, { currency: 'EUR', overdraftLimit: 1_000 });
      await t.http.post(`/v1/wallets/${eur}/withdrawals`).set(AUTH).send({ amount: 101 }).expect(201);
      expect((await wallet(eur, '?displayCurrency=USD')).display).toEqual(expect.objectContaining({ balance: -2, available: -2 })); // −1.0842 → −2
      const jpy = await fundedWallet(t.http, 1_000, { currency: 'JPY' });
      expect((await wallet(jpy, '?displayCurrency=KWD')).display).toEqual(expect.objectContaining({ currency: 'KWD', balance: 2053, available: 2053 }));
    });

    it('without a rate → 422 RATE_UNAVAILABLE; a bad currency or another query field → 400; past 2^53 − 1 → 422', async () => {
      const eur = await fundedWallet(t.http, 100, { currency: 'EUR' });
      expectProblem(await t.http.get(`/v1/wallets/${eur}?displayCurrency=MXN`).set(AUTH), 422, 'RATE_UNAVAILABLE');
      expectProblem(await t.http.get(`/v1/wallets/${eur}?displayCurrency=usd`).set(AUTH), 400, 'VALIDATION_FAILED', 'displayCurrency');
      expectProblem(await t.http.get(`/v1/wallets/${eur}?currency=USD`).set(AUTH), 400, 'VALIDATION_FAILED', 'currency');
      expectProblem(await t.http.get(`/v1/wallets/${randomUUID()}?displayCurrency=USD`).set(AUTH), 404, 'WALLET_NOT_FOUND');
      const rich = await fundedWallet(t.http, MAX, { currency: 'EUR' });
      expectProblem(await t.http.get(`/v1/wallets/${rich}?displayCurrency=JPY`).set(AUTH), 422, 'AMOUNT_NOT_CONVERTIBLE');
      expectProblem(await t.http.get(`/v1/wallets/${rich}?displayCurrency=USD`).set(AUTH), 422, 'AMOUNT_NOT_CONVERTIBLE');
      expect((await wallet(rich, '?displayCurrency=CHF')).display).toEqual(expect.objectContaining({ balance: 8376695306909121 })); // × 0.93
    });
  });

  describe('the books', () => {
    it('ledger verify finds nothing wrong; the trigger refuses an entry in a third currency or one that unbalances its currency', async () => {
      await setRate('EUR', 'USD', '1.0842').expect(200);
      const eur = await fundedWallet(t.http, 5_000, { currency: 'EUR' });
      const usd = await newWallet(t.http, { currency: 'USD' });
      const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount: 5_000 });
      const tx = (await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: usd }).expect(201)).body;
      const clean = await t.http.get('/v1/admin/ledger/verify').set(AUTH).expect(200);
      expect(clean.body.ok).toBe(true);
      expect(clean.body.checks.map((c: Body) => c.check)).toEqual(expect.arrayContaining(['entries_in_transaction_currency', 'conversion_legs_match_quote']));
      // the trigger refuses a conversion leg in a third currency, or one that does not balance its currency
      await expect(t.db.pool.query(`INSERT INTO entries (tenant_id, transaction_id, currency, account, amount) VALUES ('default', $1, 'GBP', 'world:GBP', 1), ('default', $1, 'GBP', 'fx:GBP', -1)`, [tx.id]))
        .rejects.toThrow(/tenant and currency/);
      await expect(t.db.pool.query(`INSERT INTO entries (tenant_id, transaction_id, currency, account, amount) VALUES ('default', $1, 'USD', 'fx:USD', 1)`, [tx.id]))
        .rejects.toThrow(/sum to zero in each currency/);
      // (with the trigger off, the self-check still finds such entries: test/integration/ledger-verify.spec.ts)
      expect((await t.http.get('/v1/admin/ledger/verify').set(AUTH).expect(200)).body.ok).toBe(true);
    });

    it('the monthly report shows conversions per currency pair, both ways', async () => {
      clock = manualClock(t.app, new Date(Date.UTC(2031, 2, 10, 12)));
      await setRate('EUR', 'USD', '1.0842').expect(200);
      await setRate('USD', 'EUR', '0.9223').expect(200);
      const eur = await fundedWallet(t.http, 100_000, { currency: 'EUR' });
      const usd = await fundedWallet(t.http, 100_000, { currency: 'USD' });
      for (const amount of [1_000, 2_345]) {
        const q = await newQuote({ fromCurrency: 'EUR', toCurrency: 'USD', amount });
        await convert({ quoteId: q.id, fromWalletId: eur, toWalletId: usd }).expect(201);
      }
      const back = await newQuote({ fromCurrency: 'USD', toCurrency: 'EUR', amount: 777 });
      await convert({ quoteId: back.id, fromWalletId: usd, toWalletId: eur }).expect(201);
      const csv = async (currency: string) =>
        (await t.http.get('/v1/reports/monthly').query({ year: 2031, month: 3, currency }).set(AUTH).expect(200)).text.split('\r\n');
      const eurReport = await csv('EUR');
      expect(eurReport[0]).toBe('section,period,type,referencePrefix,count,amount,refundCount,refundedAmount,currency,toCurrency,convertedAmount');
      expect(eurReport).toEqual(expect.arrayContaining([
        'month,2031-03,conversion,,2,3345,,,EUR,,',
        'conversion_pair,2031-03,conversion,,2,3345,,,EUR,USD,3626', // 1084 + 2542
        'conversion_pair,2031-03,conversion,,1,777,,,USD,EUR,716', // 7.77 × 0.9223 = 7.166271
      ]));
      const usdReport = await csv('USD');
      expect(usdReport.filter((line) => line.startsWith('conversion_pair'))).toEqual([
        'conversion_pair,2031-03,conversion,,2,3345,,,EUR,USD,3626',
        'conversion_pair,2031-03,conversion,,1,777,,,USD,EUR,716',
      ]);
      expect(usdReport).toContain('month,2031-03,conversion,,1,777,,,USD,,');
    });
  });
});
