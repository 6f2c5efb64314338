import { randomUUID } from 'node:crypto';
import type { ScenarioName } from './options.js';

/** The HTTP adapter of the bare NestJS app (test/bench/bare-nest.ts, its BARE_ADAPTER). */
export type BareAdapter = 'express' | 'fastify';

/** The pgbench scripts of ../shared/bench (run by sql-limit.sh). */
export const SQL_SCENARIOS = [
  'transfer_uniform',
  'transfer_single_statement',
  'hot_wallet',
  'hot_wallet_single_statement',
  'balance_read',
] as const;
export type SqlScenarioName = (typeof SQL_SCENARIOS)[number];

/** Largest random amount moved per request, in minor units (the pgbench scripts use 1 … 100 too). */
export const MAX_MOVE_MINOR = 100;

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface ScenarioContext {
  walletIds: readonly string[];
  merchantId: string;
}

export interface Scenario {
  name: ScenarioName;
  summary: string;
  /**
   * What the service's req/s is divided by, at the same number of clients: `oneStatement` is the same
   * work as one SQL round trip (the service's own shape: one `post_movement` call), `multiRoundTrip`
   * the classic BEGIN … COMMIT with seven round trips.
   */
  sql: { oneStatement?: SqlScenarioName; multiRoundTrip?: SqlScenarioName };
  /** Which process answers: the service, or the bare NestJS app of bare-nest.ts (the framework's floor). */
  target: 'service' | 'bare';
  /** For target 'bare': the HTTP adapter the bare app runs on (its BARE_ADAPTER). */
  bareAdapter?: BareAdapter;
  /** Needs the seeded wallets (the floors do not). */
  usesWallets: boolean;
  /** A fresh request each call: random wallets, random amounts, a new Idempotency-Key per POST. */
  nextRequest(context: ScenarioContext): BenchRequest;
}

function randomIndex(length: number): number {
  return Math.floor(Math.random() * length);
}

function randomAmount(): number {
  return 1 + randomIndex(MAX_MOVE_MINOR);
}

function randomWallet(context: ScenarioContext): string {
  return context.walletIds[randomIndex(context.walletIds.length)]!;
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  transfer_uniform: {
    name: 'transfer_uniform',
    summary: 'POST /v1/transfers between two random distinct wallets',
    sql: { oneStatement: 'transfer_single_statement', multiRoundTrip: 'transfer_uniform' },
    target: 'service',
    usesWallets: true,
    nextRequest(context) {
      const count = context.walletIds.length;
      const from = randomIndex(count);
      const to = (from + 1 + randomIndex(count - 1)) % count; // uniform over the others, never `from`
      return {
        method: 'POST',
        path: '/v1/transfers',
        body: JSON.stringify({ fromWalletId: context.walletIds[from], toWalletId: context.walletIds[to], amount: randomAmount() }),
      };
    },
  },
  hot_wallet: {
    name: 'hot_wallet',
    summary: 'POST /v1/transfers from a random wallet into the one merchant wallet',
    sql: { oneStatement: 'hot_wallet_single_statement', multiRoundTrip: 'hot_wallet' },
    target: 'service',
    usesWallets: true,
    nextRequest(context) {
      return {
        method: 'POST',
        path: '/v1/transfers',
        body: JSON.stringify({ fromWalletId: randomWallet(context), toWalletId: context.merchantId, amount: randomAmount() }),
      };
    },
  },
  deposits: {
    name: 'deposits',
    summary: 'POST /v1/wallets/{random}/deposits',
    sql: { oneStatement: 'transfer_single_statement' },
    target: 'service',
    usesWallets: true,
    nextRequest(context) {
      return { method: 'POST', path: `/v1/wallets/${randomWallet(context)}/deposits`, body: JSON.stringify({ amount: randomAmount() }) };
    },
  },
  balance_read: {
    name: 'balance_read',
    summary: 'GET /v1/wallets/{random}',
    sql: { oneStatement: 'balance_read' },
    target: 'service',
    usesWallets: true,
    nextRequest(context) {
      return { method: 'GET', path: `/v1/wallets/${randomWallet(context)}` };
    },
  },
  history_page: {
    name: 'history_page',
    summary: 'GET /v1/wallets/{random}/transactions?limit=20',
    sql: {},
    target: 'service',
    usesWallets: true,
    nextRequest(context) {
      return { method: 'GET', path: `/v1/wallets/${randomWallet(context)}/transactions?limit=20` };
    },
  },
  health_live: {
    name: 'health_live',
    summary: 'GET /health/live of the service (no I/O: the cost of its own middleware, guards and interceptors)',
    sql: {},
    target: 'service',
    usesWallets: false,
    nextRequest() {
      return { method: 'GET', path: '/health/live' };
    },
  },
  bare_route: {
    name: 'bare_route',
    summary: 'GET /bare of a bare NestJS app on platform-express (test/bench/bare-nest.ts, no middleware): the framework\'s floor',
    sql: {},
    target: 'bare',
    bareAdapter: 'express',
    usesWallets: false,
    nextRequest() {
      return { method: 'GET', path: '/bare' };
    },
  },
  bare_route_fastify: {
    name: 'bare_route_fastify',
    summary:
      'GET /bare of the same bare NestJS app on @nestjs/platform-fastify (BARE_ADAPTER=fastify): what that adapter\'s floor would be; the service runs on Express',
    sql: {},
    target: 'bare',
    bareAdapter: 'fastify',
    usesWallets: false,
    nextRequest() {
      return { method: 'GET', path: '/bare' };
    },
  },
};

/** The pgbench scripts the chosen service scenarios are compared with, in sql-limit.sh's order. */
export function sqlScenariosFor(names: readonly ScenarioName[]): SqlScenarioName[] {
  const wanted = new Set<SqlScenarioName>();
  for (const name of names) {
    const { oneStatement, multiRoundTrip } = SCENARIOS[name].sql;
    if (oneStatement) wanted.add(oneStatement);
    if (multiRoundTrip) wanted.add(multiRoundTrip);
  }
  return SQL_SCENARIOS.filter((name) => wanted.has(name));
}

export function newIdempotencyKey(): string {
  return randomUUID();
}
