import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expectLedgerInvariants } from '../support/ledger-invariants.js';
import { manualClock, type ManualClock } from '../support/manual-clock.js';
import { AUTH, fundedWallet, newWallet, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The tamper-evident chain of each wallet's entries as an outsider sees it: docs/verify-statement.mjs (plain Node,
 * node:crypto only, the script the README prints) recomputes every entry's hash from a statement the API returned
 * and must agree with the service's hashes byte for byte — for metadata, references and descriptions chosen to trip
 * any difference between PostgreSQL's text forms and JavaScript's (numbers, escapes, key order, multi-byte text).
 * A statement changed in transit, or a row changed behind the service's back, fails the outsider's check.
 */

type Body = Record<string, any>;
const SCRIPT = 'docs/verify-statement.mjs';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function outsiderChecks(statement: unknown): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, '-'], { env: { PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(statement));
  });
}

describe('the chain of entry hashes, checked by an outsider', () => {
  let t: TestApp;
  let clock: ManualClock;
  let buyer: string;
  let seller: string;
  let middle: string;
  let sale: string;

  const post = async (path: string, body: object | string, status = 201): Promise<Body> => {
    const request = t.http.post(path).set(AUTH);
    const reply = typeof body === 'string' ? await request.set('Content-Type', 'application/json').send(body) : await request.send(body);
    expect({ path, status: reply.status, body: reply.status === status ? undefined : reply.body }).toEqual({ path, status, body: undefined });
    return reply.body;
  };
  const statement = async (walletId: string, query: Record<string, string> = {}): Promise<Body> =>
    (await t.http.get(`/v1/wallets/${walletId}/statement`).query(query).set(AUTH).expect(200)).body;

  beforeAll(async () => {
    t = await startTestApp({ HOLD_SWEEP_INTERVAL_MS: '0' });
    clock = manualClock(t.app, new Date('2031-02-01T09:00:00.000Z'));
    buyer = await fundedWallet(t.http, 100_000);
    seller = await newWallet(t.http);
    const tick = () => clock.advance(1_250);

    // numbers as JSON writes them and as PostgreSQL's numeric prints them (1e+21 vs 1000000000000000000000, …)
    tick();
    await post(
      `/v1/wallets/${buyer}/deposits`,
      '{"amount": 1, "reference": "raw-numbers", "metadata": {"big": 1E21, "tiny": 5e-324, "small": 1e-7, "tenth": 0.1, "negZero": -0, ' +
        '"trailing": 1.50, "cents": 123456789.125, "beyondSafe": 9007199254740993, "max": 1.7976931348623157e308, "neg": -1.5e-10, "int": -42}}',
    );
    tick();
    await post(`/v1/wallets/${buyer}/deposits`, {
      amount: 2,
      reference: 'pipes|colons:~tilde',
      description: 'two\nlines, "quoted", \\ backslash, tab\t, ✓ and 💶',
      metadata: {
        quote: 'say "hi" \\ \u0001 \u001f \u007f \u2028 end',
        emoji: '💶 € ✓',
        é: 'a two-byte key',
        e: 'a one-byte key',
        '10': 'integer-like key',
        '9': 'another',
        'a|b': 'pipe',
        '~': '~',
        yes: true,
        no: false,
        nothing: null,
        empty: '',
      },
    });
    tick();
    sale = (await post('/v1/transfers', { fromWalletId: buyer, toWalletId: seller, amount: 4_000, reference: 'order:1042', metadata: { items: 3 } })).id;
    tick();
    const hold = (await post('/v1/holds', { walletId: buyer, amount: 2_500, reference: 'order:1043', description: 'checkout', metadata: { cart: 'c-9' } })).id;
    tick();
    middle = clock.now.toISOString();
    tick();
    await post(`/v1/holds/${hold}/capture`, { amount: 2_000, toWalletId: seller });
    tick();
    await post(`/v1/transactions/${sale}/refunds`, { amount: 500 });
    tick();
    await post(`/v1/wallets/${seller}/withdrawals`, { amount: 100, description: '~' });
    // a move whose entry is stamped later than its own time: another one took the wallet's last stamp first
    clock.advance(5_000);
    await post(`/v1/wallets/${buyer}/withdrawals`, { amount: 10 });
    clock.advance(-3_000);
    await post(`/v1/wallets/${buyer}/withdrawals`, { amount: 11, metadata: { late: true } });
    clock.advance(3_000);
  });
  afterAll(async () => {
    clock.restore();
    await t.close();
  });
  afterEach(() => expectLedgerInvariants(t.db.pool));

  it("the outsider's script recomputes every hash of every wallet's statement exactly as the service did", async () => {
    for (const walletId of [buyer, seller]) {
      const body = await statement(walletId);
      expect(body.entries.length).toBeGreaterThan(3);
      expect(body.openingHash).toBeNull();
      const run = await outsiderChecks(body);
      expect(run).toEqual({ code: 0, stdout: `ok: ${body.entries.length} entries chain from (the first entry) to ${body.closingHash}\n`, stderr: '' });
    }
  });

  it('the hashes a statement shows are those of the transactions the API returns, and the wallet ends where its statement ends', async () => {
    const body = await statement(seller);
    for (const entry of body.entries) {
      const tx = (await t.http.get(`/v1/transactions/${entry.transactionId}`).set(AUTH).expect(200)).body;
      expect(tx.entries.find((e: Body) => e.walletId === seller).hash).toBe(entry.hash);
      expect(tx.entries.filter((e: Body) => e.account !== undefined).every((e: Body) => e.hash === undefined)).toBe(true);
    }
    const { rows } = await t.db.pool.query(`SELECT encode(last_entry_hash, 'hex') AS hash FROM wallets WHERE id = $1`, [seller]);
    expect(rows[0].hash).toBe(body.closingHash);
  });

  it('two statements of consecutive periods chain: the first closes on the hash the second opens with', async () => {
    const first = await statement(buyer, { to: middle });
    const second = await statement(buyer, { from: middle });
    expect(first.entries.length).toBeGreaterThan(0);
    expect(second.entries.length).toBeGreaterThan(0);
    expect(second.openingHash).toBe(first.closingHash);
    for (const part of [first, second]) expect((await outsiderChecks(part)).code).toBe(0);
    // an empty period opens and closes on the same hash
    const empty = await statement(buyer, { from: '2031-02-01T00:00:00Z', to: '2031-02-01T00:00:00Z' });
    expect(empty).toMatchObject({ entries: [], openingHash: null, closingHash: null });
  });

  it.each([
    ['an amount', 2, (s: Body): unknown => (s.entries[2].amount += 1)],
    ['a balance after', 3, (s: Body): unknown => (s.entries[3].balanceAfter -= 1)],
    ['a time', 2, (s: Body): unknown => (s.entries[2].createdAt = '2031-02-01T09:00:03.001Z')],
    ['a reference', 2, (s: Body): unknown => (s.entries[2].reference = 'order:1044')],
    ['a metadata value', 1, (s: Body): unknown => (s.entries[1].metadata.tenth = 0.2)],
    ['a metadata key', 3, (s: Body): unknown => (s.entries[3].metadata = { Items: 3 })],
    ['a type', 3, (s: Body): unknown => (s.entries[3].type = 'deposit')],
    ['a removed entry', 2, (s: Body): unknown => s.entries.splice(2, 1)],
  ] as const)('a statement with %s changed in transit fails the check, naming the entry', async (_, named, change) => {
    const body = await statement(buyer);
    change(body);
    const run = await outsiderChecks(body);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^entry ${body.entries[named].entryId} \\(transaction ${body.entries[named].transactionId}\\) does not match its hash`));
  });

  it('a closing hash that the entries do not end at fails the check', async () => {
    const body = await statement(seller);
    body.closingHash = body.entries[0].hash;
    const run = await outsiderChecks(body);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the statement's closingHash is");
  });

  it("a transaction's reference changed behind the service's back: the next statement fails the outsider's check at its entry", async () => {
    const before = await statement(seller);
    const victim = before.entries.find((e: Body) => e.transactionId === sale);
    await t.db.pool.query(`UPDATE transactions SET reference = 'order:9999' WHERE id = $1`, [sale]);
    try {
      const after = await statement(seller);
      const run = await outsiderChecks(after);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^entry ${victim.entryId} \\(transaction ${sale}\\)`));
      // and the service's own check names the same entry, in both wallets the sale moved money between
      const report = (await t.http.get('/v1/admin/ledger/verify').set(AUTH).expect(200)).body;
      expect(report.drift.map((d: Body) => [d.check, d.id, d.entryId])).toEqual(
        expect.arrayContaining([['wallet_entry_chain_intact', seller, victim.entryId]]),
      );
      expect(report.drift.filter((d: Body) => d.check === 'wallet_entry_chain_intact').map((d: Body) => d.id).sort()).toEqual([buyer, seller].sort());
    } finally {
      await t.db.pool.query(`UPDATE transactions SET reference = 'order:1042' WHERE id = $1`, [sale]);
    }
    expect((await outsiderChecks(await statement(seller))).code).toBe(0);
  });

  it('the README prints the script the tests run', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(readFileSync(SCRIPT, 'utf8'));
  });
});
