/**
 * `npm run example:checkout`: a shop's order flow, played against a running wallet service with the typed
 * client (src/client), explaining each call as it goes. Read it as the integration guide in code.
 *
 *   npm start                      # in one terminal (dev key: dev-secret-key)
 *   npm run example:checkout       # in another
 *
 * WALLET_URL (default http://localhost:3000) and WALLET_API_KEY (default dev-secret-key) say where and as whom.
 * CHECKOUT_RUN_ID (default: random) names this run's buyer, seller, order and Idempotency-Keys: run it twice
 * with the same id and the second run is answered from the keys, moving no money twice.
 * Exit 0 when every step worked; 1 with the problem details when one did not.
 */
import { randomBytes } from 'node:crypto';
import { createWalletClient, getStatement, idempotent, type Problem, type Wallet, type WalletClient } from '../client/index.js';

const baseUrl = process.env.WALLET_URL ?? 'http://localhost:3000';
const apiKey = process.env.WALLET_API_KEY ?? 'dev-secret-key';
const runId = process.env.CHECKOUT_RUN_ID ?? randomBytes(4).toString('hex');

const CURRENCY = 'EUR';
const TOP_UP = 10_000; // €100.00
const ORDER_TOTAL = 4_990; // €49.90 for two items
const SHIPPED = 3_990; // €39.90: one item was out of stock
const RETURNED = 1_500; // €15.00: part of it came back

const money = (minor: number) => new Intl.NumberFormat('en-IE', { style: 'currency', currency: CURRENCY }).format(minor / 100);

/** An answer of the typed client: `data` on success, `error` (problem+json) otherwise. */
interface Answer<T> {
  data?: T;
  error?: Problem;
  response: Response;
}

/** A call that did not succeed, with what the service said. */
class StepFailed extends Error {
  constructor(
    readonly call: string,
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(`${call} answered ${status}`);
  }
}

let stepNumber = 0;
function step(title: string, ...explanation: string[]): void {
  console.log(`\n${++stepNumber}. ${title}`);
  for (const line of explanation) console.log(`   ${line}`);
}
const say = (line: string) => console.log(`   ${line}`);
/** Set when the service answered from an Idempotency-Key of an earlier run with the same CHECKOUT_RUN_ID. */
let repeatRun = false;
let lastReplayed = false;
/** What the balances show on a first run; a repeat run moved nothing, so its balances are those after the whole order. */
const explain = (line: string) => {
  if (!repeatRun) say(line);
};

/** Runs one call: prints it, fails the example with the problem details when it does not succeed. */
async function call<T>(description: string, request: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await request;
  if (error !== undefined || data === undefined || !response.ok) throw new StepFailed(description, response.status, error ?? data);
  const replayed = response.headers.get('Idempotency-Replayed') === 'true';
  lastReplayed = replayed;
  say(`${description} → ${response.status}${replayed ? ', Idempotency-Replayed: true (answered from the key, nothing moved again)' : ''}`);
  return data;
}

async function showWallet(client: WalletClient, label: string, id: string): Promise<Wallet> {
  const wallet = await call(`GET /v1/wallets/${id}`, client.GET('/v1/wallets/{id}', { params: { path: { id } } }));
  say(`  ${label}: balance ${money(wallet.balance)}, held ${money(wallet.held)}, available ${money(wallet.available)}`);
  return wallet;
}

async function checkout(client: WalletClient): Promise<void> {
  const buyerOwner = `buyer_${runId}`;
  const sellerOwner = `seller_${runId}`;
  const order = `order-${runId}`;
  /** One key per business event: a retry of the same event sends the same key, so it can never move money twice. */
  const key = (event: string) => idempotent(`checkout-${runId}-${event}`);

  console.log(`Checkout example against ${baseUrl} — buyer ${buyerOwner}, seller ${sellerOwner}, ${order}`);

  step(
    'Open a wallet for the buyer and one for the seller',
    'A wallet keeps one user\'s money in one currency; your own user id goes in ownerId. The Idempotency-Key',
    'makes the call safe to retry after a timeout: a repeat returns the same wallet instead of failing.',
  );
  const buyer = await call(
    `POST /v1/wallets { ownerId: "${buyerOwner}", currency: "${CURRENCY}" }`,
    client.POST('/v1/wallets', { params: { header: key('buyer-wallet') }, body: { ownerId: buyerOwner, currency: CURRENCY, metadata: { role: 'buyer' } } }),
  );
  say(`  buyer wallet ${buyer.id}`);
  if (lastReplayed) {
    repeatRun = true;
    say(`(CHECKOUT_RUN_ID ${runId} ran before: every call is answered from its key, and the balances shown are today's)`);
  }
  const seller = await call(
    `POST /v1/wallets { ownerId: "${sellerOwner}", currency: "${CURRENCY}" }`,
    client.POST('/v1/wallets', { params: { header: key('seller-wallet') }, body: { ownerId: sellerOwner, currency: CURRENCY, metadata: { role: 'seller' } } }),
  );
  say(`  seller wallet ${seller.id}`);

  step(
    `Top up the buyer's wallet with ${money(TOP_UP)}`,
    'The card payment succeeded at your payment provider; now credit the wallet. A deposit moves money from the',
    `outside world (the account world:${CURRENCY}) into the wallet. The reference ties it to the card payment.`,
  );
  const topUp = { amount: TOP_UP, reference: `card-payment-${runId}`, description: 'Top-up by card' };
  await call(
    `POST /v1/wallets/${buyer.id}/deposits { amount: ${TOP_UP} }`,
    client.POST('/v1/wallets/{id}/deposits', { params: { path: { id: buyer.id }, header: key('topup-1') }, body: topUp }),
  );
  say('Say the answer got lost on the network: retry with the same key and the same body.');
  await call(
    `POST /v1/wallets/${buyer.id}/deposits { amount: ${TOP_UP} } again, same Idempotency-Key`,
    client.POST('/v1/wallets/{id}/deposits', { params: { path: { id: buyer.id }, header: key('topup-1') }, body: topUp }),
  );
  await showWallet(client, 'buyer', buyer.id);
  explain(`The wallet was credited once: ${money(TOP_UP)}, not twice.`);

  step(
    `Checkout: reserve ${money(ORDER_TOTAL)} for ${order} (a hold)`,
    'Nothing has shipped yet, so do not take the money: reserve it. A hold lowers what the buyer can spend',
    '(available) but not the balance. It lasts 15 minutes here; if the order is never confirmed it releases itself.',
  );
  const hold = await call(
    `POST /v1/holds { walletId, amount: ${ORDER_TOTAL}, expiresInSeconds: 900 }`,
    client.POST('/v1/holds', {
      params: { header: key('hold') },
      body: {
        walletId: buyer.id,
        amount: ORDER_TOTAL,
        expiresInSeconds: 900,
        reference: `${sellerOwner}:${order}`,
        description: `${order}: 2 items`,
        metadata: { orderId: order, items: 2 },
      },
    }),
  );
  say(`  hold ${hold.id}: ${hold.status}, ${money(hold.amount)} reserved until ${hold.expiresAt}`);
  await showWallet(client, 'buyer', buyer.id);
  explain(`The balance is still ${money(TOP_UP)}; ${money(ORDER_TOTAL)} of it is held, so only ${money(TOP_UP - ORDER_TOTAL)} can be spent elsewhere.`);

  step(
    `Shipped: capture ${money(SHIPPED)} to the seller`,
    `One item was out of stock, so capture only what shipped. The capture pays the seller's wallet from the buyer's`,
    `and ends the hold: the other ${money(ORDER_TOTAL - SHIPPED)} is released to the buyer at the same moment.`,
  );
  const capture = await call(
    `POST /v1/holds/${hold.id}/capture { amount: ${SHIPPED}, toWalletId: seller }`,
    client.POST('/v1/holds/{id}/capture', {
      params: { path: { id: hold.id }, header: key('capture') },
      body: { amount: SHIPPED, toWalletId: seller.id, description: `${order} shipped, 1 item out of stock` },
    }),
  );
  say(`  capture transaction ${capture.id}: ${money(capture.amount)} from the buyer to the seller`);
  await showWallet(client, 'buyer', buyer.id);
  await showWallet(client, 'seller', seller.id);
  explain(`The buyer paid ${money(SHIPPED)}, nothing is held any more; the seller has it.`);

  step(
    `Returned: refund ${money(RETURNED)} of the capture`,
    'Part of the order came back. A refund reverses the capture along its path, from the seller back to the',
    'buyer, in one or several parts; together they can never exceed what was captured.',
  );
  const refund = await call(
    `POST /v1/transactions/${capture.id}/refunds { amount: ${RETURNED} }`,
    client.POST('/v1/transactions/{id}/refunds', {
      params: { path: { id: capture.id }, header: key('refund-1') },
      body: { amount: RETURNED, description: `${order}: 1 item returned` },
    }),
  );
  say(`  refund transaction ${refund.id}: ${money(refund.amount)} from the seller to the buyer`);
  const captured = await call(`GET /v1/transactions/${capture.id}`, client.GET('/v1/transactions/{id}', { params: { path: { id: capture.id } } }));
  say(`  the capture now shows refundedAmount ${money(captured.refundedAmount)} of ${money(captured.amount)}`);
  const finalBuyer = await showWallet(client, 'buyer', buyer.id);
  const finalSeller = await showWallet(client, 'seller', seller.id);

  step(
    "The buyer's statement",
    'Every movement of the wallet with its signed amount and the balance after it. The same as CSV with',
    '`Accept: text/csv`; `from`/`to` select a period (a month, for a monthly statement).',
  );
  const statement = await call(`GET /v1/wallets/${buyer.id}/statement`, getStatement(client, buyer.id));
  say(`  ${'when (UTC)'.padEnd(19)}  ${'type'.padEnd(8)}  ${'amount'.padStart(9)}  ${'balance'.padStart(9)}  description`);
  for (const entry of statement.entries) {
    say(
      `  ${entry.createdAt.slice(0, 19).replace('T', ' ')}  ${entry.type.padEnd(8)}  ${money(entry.amount).padStart(9)}  ` +
        `${money(entry.balanceAfter).padStart(9)}  ${entry.description ?? entry.reference ?? ''}`,
    );
  }
  say(`  opening ${money(statement.openingBalance)}, closing ${money(statement.closingBalance)}`);

  console.log(
    `\nDone. The buyer topped up ${money(TOP_UP)}, paid ${money(SHIPPED)} and got ${money(RETURNED)} back: ` +
      `${money(finalBuyer.balance)}. The seller keeps ${money(finalSeller.balance)}.`,
  );
  console.log(`Run it again with CHECKOUT_RUN_ID=${runId} and every call is answered from its Idempotency-Key: nothing moves twice.`);
}

checkout(createWalletClient({ baseUrl, apiKey })).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    if (error instanceof StepFailed) {
      console.error(`\nStep ${stepNumber} failed: ${error.call} answered ${error.status}.`);
      console.error(JSON.stringify(error.problem, null, 2));
    } else {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      console.error(
        `\nStep ${stepNumber} failed: ${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause.code ?? cause.message})` : ''}.`,
      );
      if (cause !== undefined) console.error(`Is the service running at ${baseUrl}? Start it with npm start, or set WALLET_URL.`);
    }
    process.exitCode = 1;
  },
);
