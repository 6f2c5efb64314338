import { randomUUID } from 'node:crypto';
import { uuidv7 } from '../common/ids/uuid-v7.js';
import { Prng } from './prng.js';

/**
 * The demo data as a plan: wallets, and the ledger operations a month of shop traffic would have posted,
 * in time order. Pure (no database): a small discrete-event simulation keeps its own copy of every
 * wallet's balance and holds, so each operation it emits is one the ledger accepts at that moment (funds,
 * holds still active, refundable amounts). `demo-seed.ts` posts the plan through the ledger's SQL functions.
 */

export type Role = 'buyer' | 'seller';

export interface WalletPlan {
  id: string;
  tenantId: string;
  ownerId: string;
  currency: string;
  role: Role;
  name: string;
  createdAt: Date;
}

interface Details {
  reference: string | null;
  description: string | null;
  metadata: Record<string, string | number | boolean> | null;
}

/** One call of a posting SQL function, at `at` (its p_now). Ids are chosen here, as the service chooses them. */
export type PlannedOp =
  | ({ kind: 'deposit' | 'withdrawal' | 'transfer'; id: string; at: Date; tenantId: string; debitWalletId: string | null; creditWalletId: string | null; amount: number } & Details)
  | ({ kind: 'hold'; id: string; at: Date; tenantId: string; walletId: string; amount: number; expiresAt: Date } & Details)
  | ({ kind: 'capture'; id: string; at: Date; tenantId: string; holdId: string; amount: number; toWalletId: string | null } & Details)
  | { kind: 'void'; at: Date; tenantId: string; holdId: string }
  | ({ kind: 'refund'; id: string; at: Date; tenantId: string; originalId: string; amount: number } & Details);

export interface DemoPlan {
  seed: number;
  from: Date;
  to: Date;
  wallets: WalletPlan[];
  ops: PlannedOp[];
}

export interface PlanOptions {
  seed: number;
  /** The end of the history (the last operation is a couple of minutes before it); default: now. */
  now?: Date;
  /** Appended to every owner id, so that a forced second run does not collide with the first. */
  ownerSuffix?: string;
}

interface TenantSpec {
  id: string;
  buyers: { name: string; currencies: string[] }[];
  sellers: { ownerId: string; name: string; currencies: string[] }[];
}

/** Three tenants (the `default` one of the dev key, and two more with stored keys), four currencies among them. */
export const DEMO_TENANTS: readonly TenantSpec[] = [
  {
    id: 'default',
    buyers: ['anna', 'ben', 'chloe', 'david', 'emma', 'felix', 'greta', 'hugo'].map((name) => ({ name, currencies: ['EUR'] })),
    sellers: [
      { ownerId: 'seller_bookworm', name: 'Bookworm Books', currencies: ['EUR'] },
      { ownerId: 'seller_green_grocer', name: 'The Green Grocer', currencies: ['EUR'] },
      { ownerId: 'seller_tech_corner', name: 'Tech Corner', currencies: ['EUR'] },
    ],
  },
  {
    id: 'acme',
    buyers: [
      ...['ivy', 'jack', 'kira', 'leo'].map((name) => ({ name, currencies: ['EUR', 'USD'] })),
      ...['mia', 'noah', 'olga', 'paul', 'quinn', 'rosa'].map((name) => ({ name, currencies: ['EUR'] })),
    ],
    sellers: [
      { ownerId: 'seller_trailhead', name: 'Trailhead Outdoor', currencies: ['EUR', 'USD'] },
      { ownerId: 'seller_toybox', name: 'Toybox', currencies: ['EUR'] },
      { ownerId: 'seller_roastery', name: 'Roastery & Co', currencies: ['USD'] },
      { ownerId: 'seller_threads', name: 'Threads Fashion', currencies: ['EUR', 'USD'] },
    ],
  },
  {
    id: 'globex',
    buyers: ['sam', 'tara', 'umar', 'vera', 'will', 'xena'].map((name) => ({ name, currencies: ['GBP'] })),
    sellers: [
      { ownerId: 'seller_tea_house', name: 'The Tea House', currencies: ['GBP'] },
      { ownerId: 'seller_gadgetry', name: 'Gadgetry', currencies: ['GBP'] },
    ],
  },
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const HISTORY_DAYS = 30;
/** Checkout holds last three days; an abandoned checkout's hold lasts 15 or 30 minutes. */
const ORDER_HOLD_MS = 3 * DAY;
/** Orders per buyer wallet per day (first currency, further currencies). */
const ORDERS_PER_DAY = [1.4, 0.5];
const TRANSFERS_PER_DAY = 0.08;
const CASHOUTS_PER_DAY = 0.02;
/** Busier in the evening. */
const HOURS = [7, 8, 9, 10, 11, 12, 12, 13, 13, 14, 15, 16, 17, 18, 18, 19, 19, 20, 20, 20, 21, 21, 22, 23];
const TRANSFER_REASONS = ['Split the dinner bill', 'Concert tickets', 'Birthday present', 'Shared taxi', 'Paying back lunch', 'Holiday flat, my share'];

interface ShadowWallet {
  plan: WalletPlan;
  balance: number;
  holds: ShadowHold[];
  card: string;
}

interface ShadowHold {
  id: string;
  amount: number;
  expiresAt: number;
  ended: boolean;
}

/** What a refund reverses: it moves money from `payer` (null: a system account) back to `payee` (null: world). */
interface Refundable {
  id: string;
  tenantId: string;
  payer: ShadowWallet | null;
  payee: ShadowWallet | null;
  amount: number;
  refunded: number;
}

interface Scheduled {
  at: number;
  seq: number;
  run: (at: number) => void;
}

export function buildDemoPlan(options: PlanOptions): DemoPlan {
  const rng = new Prng(options.seed);
  const nowMs = (options.now ?? new Date()).getTime();
  const fromMs = nowMs - HISTORY_DAYS * DAY;
  const endMs = nowMs - 2 * MINUTE;
  const suffix = options.ownerSuffix ?? '';
  const ops: PlannedOp[] = [];
  const wallets: ShadowWallet[] = [];
  const queue: Scheduled[] = [];
  let seq = 0;
  let lastStampMs = 0;

  /** Every operation gets a distinct moment, strictly after the previous one: the plan is in time order. */
  const stamp = (atMs: number): number => (lastStampMs = Math.max(atMs, lastStampMs + 1));
  const schedule = (atMs: number, run: (at: number) => void): void => {
    if (atMs < fromMs || atMs > endMs) return; // outside the month: it has not happened (yet)
    const item = { at: atMs, seq: seq++, run };
    let low = 0;
    let high = queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (queue[mid].at < atMs || (queue[mid].at === atMs && queue[mid].seq < item.seq)) low = mid + 1;
      else high = mid;
    }
    queue.splice(low, 0, item);
  };
  /** A time of day (UTC, busier in the evening) on the day that contains `dayMs`. */
  const timeOfDay = (dayMs: number): number =>
    Math.floor(dayMs / DAY) * DAY + rng.pick(HOURS) * HOUR + rng.int(0, 59) * MINUTE + rng.int(0, 59_999);
  const available = (wallet: ShadowWallet, atMs: number): number => {
    wallet.holds = wallet.holds.filter((hold) => !hold.ended && hold.expiresAt > atMs);
    return wallet.balance - wallet.holds.reduce((sum, hold) => sum + hold.amount, 0);
  };
  const orderNumbers = new Map<string, number>();
  const nextOrder = (tenantId: string): number => {
    const number = (orderNumbers.get(tenantId) ?? 1000) + 1;
    orderNumbers.set(tenantId, number);
    return number;
  };
  let transferNumber = 0;
  let cashoutNumber = 0;

  // ---- wallets: sellers open at the start of the month, buyers join over its first twelve days
  for (const tenant of DEMO_TENANTS) {
    for (const seller of tenant.sellers) {
      const createdAt = fromMs + rng.int(1, 59) * MINUTE;
      for (const currency of seller.currencies) {
        wallets.push(shadow({ tenantId: tenant.id, ownerId: seller.ownerId + suffix, currency, role: 'seller', name: seller.name, createdAt }));
      }
    }
    tenant.buyers.forEach((buyer, index) => {
      const createdAt = fromMs + (index < tenant.buyers.length / 2 ? rng.int(60, 2 * 24 * 60) : rng.int(60, 12 * 24 * 60)) * MINUTE;
      buyer.currencies.forEach((currency, currencyIndex) => {
        const opened = createdAt + currencyIndex * rng.int(1, 5) * DAY;
        wallets.push(shadow({ tenantId: tenant.id, ownerId: `buyer_${buyer.name}${suffix}`, currency, role: 'buyer', name: capitalised(buyer.name), createdAt: opened }));
      });
    });
  }
  function shadow(plan: Omit<WalletPlan, 'id' | 'createdAt'> & { createdAt: number }): ShadowWallet {
    return { plan: { ...plan, id: randomUUID(), createdAt: new Date(plan.createdAt) }, balance: 0, holds: [], card: `card-${rng.int(1000, 9999)}` };
  }
  const sellersOf = (buyer: ShadowWallet) =>
    wallets.filter((w) => w.plan.role === 'seller' && w.plan.tenantId === buyer.plan.tenantId && w.plan.currency === buyer.plan.currency);
  const otherBuyersOf = (buyer: ShadowWallet) =>
    wallets.filter((w) => w !== buyer && w.plan.role === 'buyer' && w.plan.tenantId === buyer.plan.tenantId && w.plan.currency === buyer.plan.currency);

  // ---- the operations, each a closure over the shadow state
  function deposit(at: number, wallet: ShadowWallet, amount: number): void {
    const id = uuidv7(at);
    ops.push({ kind: 'deposit', id, at: new Date(at), tenantId: wallet.plan.tenantId, debitWalletId: null, creditWalletId: wallet.plan.id, amount,
      reference: wallet.card, description: 'Card top-up', metadata: { channel: 'card' } });
    wallet.balance += amount;
    // now and then a card payment is charged back a few days later
    if (rng.chance(0.03)) {
      const original: Refundable = { id, tenantId: wallet.plan.tenantId, payer: wallet, payee: null, amount, refunded: 0 };
      schedule(at + rng.int(1, 3) * DAY + rng.int(0, 600) * MINUTE, (when) => refund(when, original, roundTo(amount * rng.int(3, 10) / 10, 100), 'Card top-up reversed (chargeback)'));
    }
  }

  /** Tops the wallet up when it cannot pay `amount`, as a shopper does at checkout. */
  function ensureFunds(at: number, wallet: ShadowWallet, amount: number): void {
    const missing = amount - available(wallet, at);
    if (missing <= 0) return;
    const usual = rng.pick([2_000, 5_000, 5_000, 10_000, 10_000, 20_000, 25_000]);
    deposit(stamp(at), wallet, Math.max(usual, Math.ceil((missing + 1_000) / 1_000) * 1_000));
  }

  function order(at: number, buyer: ShadowWallet): void {
    const items = rng.pick([1, 1, 1, 2, 2, 3, 4]);
    const amount = Math.round(Math.exp(Math.log(6) + rng.next() * (Math.log(160) - Math.log(6)))) * 100 + rng.pick([0, 50, 90, 95, 99]);
    const number = nextOrder(buyer.plan.tenantId);
    const sellers = sellersOf(buyer);
    const seller = sellers.length > 0 && rng.chance(0.85) ? rng.pick(sellers) : null; // else the platform's own shop
    const prefix = seller ? seller.plan.ownerId : 'shop';
    ensureFunds(at, buyer, amount);
    const fate = rng.next();
    const holdMs = fate < 0.1 ? rng.pick([15, 30]) * MINUTE : ORDER_HOLD_MS;
    const heldAt = stamp(at);
    const hold: ShadowHold = { id: uuidv7(heldAt), amount, expiresAt: heldAt + holdMs, ended: false };
    ops.push({ kind: 'hold', id: hold.id, at: new Date(heldAt), tenantId: buyer.plan.tenantId, walletId: buyer.plan.id, amount,
      expiresAt: new Date(hold.expiresAt), reference: `${prefix}:order-${number}`,
      description: `Order ${number}: ${items} ${items === 1 ? 'item' : 'items'}`, metadata: { orderId: `ord_${number}`, items } });
    buyer.holds.push(hold);
    if (fate < 0.1) return; // abandoned checkout: the hold expires by itself
    if (fate < 0.22) {
      // cancelled by the buyer before shipping
      schedule(heldAt + rng.int(5, 180) * MINUTE, (at) => {
        const when = stamp(at);
        if (hold.ended || hold.expiresAt <= when) return;
        ops.push({ kind: 'void', at: new Date(when), tenantId: buyer.plan.tenantId, holdId: hold.id });
        hold.ended = true;
      });
      return;
    }
    // shipped within two days; sometimes an item is out of stock and only the rest is captured
    schedule(heldAt + rng.int(60, 46 * 60) * MINUTE, (at) => {
      const when = stamp(at);
      if (hold.ended || hold.expiresAt <= when) return;
      const outOfStock = items > 1 && rng.chance(0.25);
      const captured = outOfStock ? Math.max(100, amount - roundTo(amount / items, 1)) : amount;
      const id = uuidv7(when);
      ops.push({ kind: 'capture', id, at: new Date(when), tenantId: buyer.plan.tenantId, holdId: hold.id, amount: captured,
        toWalletId: seller?.plan.id ?? null, reference: null,
        description: outOfStock ? `Order ${number} shipped, 1 item out of stock` : `Order ${number} shipped`, metadata: null });
      hold.ended = true;
      buyer.balance -= captured;
      if (seller) seller.balance += captured;
      const capture: Refundable = { id, tenantId: buyer.plan.tenantId, payer: seller, payee: buyer, amount: captured, refunded: 0 };
      // returns: part of the order (an item), now and then all of it, one to six days later
      if (rng.chance(0.22)) {
        const whole = rng.chance(0.15) || items === 1;
        const part = whole ? captured : roundTo(captured * rng.int(2, 6) / 10, 1);
        schedule(when + rng.int(1, 6) * DAY + rng.int(0, 600) * MINUTE, (later) => {
          refund(later, capture, part, whole ? `Order ${number} returned` : `Order ${number}: 1 item returned`);
          if (!whole && rng.chance(0.2)) {
            schedule(later + rng.int(1, 3) * DAY, (last) => refund(last, capture, capture.amount - capture.refunded, `Order ${number}: the rest returned`));
          }
        });
      }
    });
  }

  /** A refund of `wanted` (or of what the payer can still pay back); skipped when nothing is left. */
  function refund(at: number, original: Refundable, wanted: number, description: string): void {
    const left = original.amount - original.refunded;
    const payable = original.payer ? available(original.payer, at) : Number.MAX_SAFE_INTEGER;
    const amount = Math.min(wanted, left, payable);
    if (amount < 100 && amount !== left) return;
    if (amount <= 0) return;
    const when = stamp(at);
    ops.push({ kind: 'refund', id: uuidv7(when), at: new Date(when), tenantId: original.tenantId, originalId: original.id, amount,
      reference: null, description, metadata: null });
    original.refunded += amount;
    if (original.payer) original.payer.balance -= amount;
    if (original.payee) original.payee.balance += amount;
  }

  function transfer(at: number, from: ShadowWallet): void {
    const others = otherBuyersOf(from);
    if (others.length === 0) return;
    const to = rng.pick(others);
    const amount = rng.int(5, 40) * 100 + rng.pick([0, 0, 50]);
    if (available(from, at) < amount || to.plan.createdAt.getTime() > at) return;
    const when = stamp(at);
    const id = uuidv7(when);
    transferNumber++;
    ops.push({ kind: 'transfer', id, at: new Date(when), tenantId: from.plan.tenantId, debitWalletId: from.plan.id, creditWalletId: to.plan.id,
      amount, reference: `p2p-${transferNumber}`, description: rng.pick(TRANSFER_REASONS), metadata: null });
    from.balance -= amount;
    to.balance += amount;
    if (rng.chance(0.05)) {
      const original: Refundable = { id, tenantId: from.plan.tenantId, payer: to, payee: from, amount, refunded: 0 };
      schedule(when + rng.int(10, 240) * MINUTE, (later) => refund(later, original, amount, 'Sent by mistake'));
    }
  }

  function withdraw(at: number, wallet: ShadowWallet, amount: number, reference: string, description: string): void {
    if (amount <= 0 || available(wallet, at) < amount) return;
    const when = stamp(at);
    ops.push({ kind: 'withdrawal', id: uuidv7(when), at: new Date(when), tenantId: wallet.plan.tenantId, debitWalletId: wallet.plan.id,
      creditWalletId: null, amount, reference, description, metadata: null });
    wallet.balance -= amount;
  }

  // ---- the month's calendar
  const firstDayMs = Math.floor(fromMs / DAY) * DAY;
  for (const wallet of wallets) {
    const joined = wallet.plan.createdAt.getTime();
    if (wallet.plan.role === 'seller') {
      // payouts every Friday afternoon: most of what the week's sales brought
      for (let day = firstDayMs; day <= endMs; day += DAY) {
        if (new Date(day).getUTCDay() !== 5) continue;
        schedule(day + 17 * HOUR + rng.int(0, 59) * MINUTE, (at) => {
          const amount = roundTo(available(wallet, at) * 0.9, 100);
          if (amount >= 5_000) withdraw(at, wallet, amount, `payout-${isoWeek(new Date(at))}`, 'Weekly payout to bank account');
        });
      }
      continue;
    }
    schedule(joined + rng.int(1, 20) * MINUTE, (at) => deposit(stamp(at), wallet, rng.pick([5_000, 10_000, 10_000, 20_000])));
    const primary = wallets.find((w) => w.plan.tenantId === wallet.plan.tenantId && w.plan.ownerId === wallet.plan.ownerId) === wallet;
    const ordersPerDay = ORDERS_PER_DAY[primary ? 0 : 1];
    for (let day = firstDayMs; day <= endMs; day += DAY) {
      for (let n = rng.poisson(ordersPerDay); n > 0; n--) {
        const at = timeOfDay(day);
        if (at > joined + 30 * MINUTE) schedule(at, (when) => order(when, wallet));
      }
      if (rng.chance(TRANSFERS_PER_DAY)) {
        const at = timeOfDay(day);
        if (at > joined + HOUR) schedule(at, (when) => transfer(when, wallet));
      }
      if (rng.chance(CASHOUTS_PER_DAY)) {
        const at = timeOfDay(day);
        if (at > joined + DAY) {
          schedule(at, (when) => {
            cashoutNumber++;
            withdraw(when, wallet, roundTo(available(wallet, when) * rng.int(3, 6) / 10, 100), `cashout-${cashoutNumber}`, 'Withdrawal to bank account');
          });
        }
      }
    }
  }

  while (queue.length > 0) {
    const next = queue.shift()!;
    next.run(next.at);
  }
  return { seed: options.seed, from: new Date(fromMs), to: new Date(nowMs), wallets: wallets.map((w) => w.plan), ops };
}

function roundTo(value: number, unit: number): number {
  return Math.floor(value / unit) * unit;
}

function capitalised(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** ISO 8601 week, e.g. 2026-W48. */
function isoWeek(date: Date): string {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 3 - ((thursday.getUTCDay() + 6) % 7));
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((thursday.getTime() - firstThursday.getTime()) / DAY - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
