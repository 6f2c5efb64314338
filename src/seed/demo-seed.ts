import type { DataSource, EntityManager } from 'typeorm';
import { storedKeys } from '../auth/api-key-store.js';
import { runMigrationsExclusively } from '../database/run-migrations.js';
import { captureHold, placeHold, postMovement, refundTransaction, voidHold } from '../ledger/engine/calls.js';
import { type EngineCall, renderRecordedCall } from '../ledger/engine/engine-call.js';
import { buildDemoPlan, DEMO_TENANTS, type DemoPlan, type PlannedOp } from './demo-plan.js';

/**
 * Fills a database with demo data: the wallets and month of history of `buildDemoPlan`, posted through
 * the ledger's own SQL functions (post_movement, place_hold, capture_hold, void_hold, refund_transaction)
 * with `p_now` set to each operation's moment, so every balance, entry, hold and running balance is what
 * the service itself would have written. One database transaction: all of it or nothing.
 */

export interface SeedOptions {
  seed: number;
  /** Add demo data even though wallets exist (owner ids and key names then get a suffix such as `_r2`). */
  force?: boolean;
  now?: Date;
  /** Operations per statement. */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface SeededKey {
  tenantId: string;
  name: string;
  id: string;
  secret: string;
}

export interface TenantSummary {
  tenantId: string;
  wallets: number;
  buyers: number;
  sellers: number;
  currencies: string[];
  /** Per transaction type (deposit, withdrawal, transfer, capture, refund). */
  transactions: Record<string, number>;
  /** Per hold status as a read shows it (active, captured, voided, expired). */
  holds: Record<string, number>;
}

export interface SeedResult {
  seed: number;
  ownerSuffix: string;
  from: Date;
  to: Date;
  migrationsApplied: string[];
  operations: number;
  batches: number;
  tenants: TenantSummary[];
  totals: { wallets: number; transactions: number; holds: number; entries: number };
  keys: SeededKey[];
  /** A few wallets to look at, per tenant. */
  examples: { tenantId: string; ownerId: string; currency: string; id: string }[];
  durationMs: number;
}

/** The database already holds wallets and --force was not given. */
export class SeedRefusedError extends Error {}

const DEFAULT_BATCH_SIZE = 200;

export async function seedDemoData(dataSource: DataSource, options: SeedOptions): Promise<SeedResult> {
  const startedAt = performance.now();
  const log = options.log ?? (() => undefined);
  const applied = await runMigrationsExclusively(dataSource);
  if (applied.length > 0) log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);

  const existing: { tenant_id: string; wallets: number }[] = await dataSource.query(
    'SELECT tenant_id, count(*)::int AS wallets FROM wallets GROUP BY tenant_id ORDER BY tenant_id',
  );
  if (existing.length > 0 && !options.force) {
    const where = existing.map((row) => `${row.wallets} in tenant ${row.tenant_id}`).join(', ');
    throw new SeedRefusedError(
      `The database already holds wallets (${where}); npm run seed fills an empty database only.\n` +
        'Run `npm run seed -- --force` to add another set of demo data next to them (owner ids get a suffix).',
    );
  }
  const ownerSuffix = existing.length > 0 ? await freeSuffix(dataSource) : '';

  const plan = buildDemoPlan({ seed: options.seed, now: options.now, ownerSuffix });
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const batches = Math.ceil(plan.ops.length / batchSize);
  log(`posting ${plan.ops.length} operations for ${plan.wallets.length} wallets in ${batches} batches…`);
  await dataSource.transaction(async (manager) => {
    await insertWallets(manager, plan);
    for (let start = 0; start < plan.ops.length; start += batchSize) {
      await postBatch(manager, plan.ops.slice(start, start + batchSize));
    }
    // Holds whose time ran out are marked expired now, as the service's sweeper would (reads never depend on it).
    await manager.query(
      `SELECT coalesce(sum(release_due_holds(w.id, $1)), 0) AS released
         FROM (SELECT id FROM wallets WHERE id = ANY($2::uuid[]) AND held > 0 ORDER BY id FOR UPDATE) w`,
      [plan.to, plan.wallets.map((w) => w.id)],
    );
  });

  // One stored key per tenant that the development key does not cover (storedKeys keeps only a digest).
  const keys: SeededKey[] = [];
  for (const tenant of DEMO_TENANTS.filter((t) => t.id !== 'default')) {
    const name = `demo${ownerSuffix}`;
    const created = await storedKeys.create(dataSource, { tenantId: tenant.id, name, scopes: ['wallets:read', 'wallets:write'] });
    keys.push({ tenantId: tenant.id, name, ...created });
  }

  const summary = await summarise(dataSource, plan);
  return {
    seed: plan.seed,
    ownerSuffix,
    from: plan.from,
    to: plan.to,
    migrationsApplied: applied.map((m) => m.name),
    operations: plan.ops.length,
    batches,
    ...summary,
    keys,
    examples: DEMO_TENANTS.flatMap((tenant) =>
      (['buyer', 'seller'] as const).flatMap((role) => {
        const w = plan.wallets.find((x) => x.tenantId === tenant.id && x.role === role);
        return w ? [{ tenantId: w.tenantId, ownerId: w.ownerId, currency: w.currency, id: w.id }] : [];
      }),
    ),
    durationMs: Math.round(performance.now() - startedAt),
  };
}

/** `_r2`, `_r3`, …: the first suffix no demo owner id has yet. */
async function freeSuffix(dataSource: DataSource): Promise<string> {
  const owners = DEMO_TENANTS.flatMap((t) => [...t.buyers.map((b) => `buyer_${b.name}`), ...t.sellers.map((s) => s.ownerId)]);
  for (let run = 2; ; run++) {
    const suffix = `_r${run}`;
    const [taken] = await dataSource.query('SELECT EXISTS (SELECT 1 FROM wallets WHERE owner_id = ANY($1::text[])) AS taken', [
      owners.map((owner) => owner + suffix),
    ]);
    if (!taken.taken) return suffix;
  }
}

async function insertWallets(manager: EntityManager, plan: DemoPlan): Promise<void> {
  const w = plan.wallets;
  await manager.query(
    `INSERT INTO wallets (id, tenant_id, owner_id, currency, metadata, created_at, updated_at)
     SELECT id, tenant_id, owner_id, currency, metadata, created_at, created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])
         AS t(id, tenant_id, owner_id, currency, metadata, created_at)`,
    [
      w.map((x) => x.id),
      w.map((x) => x.tenantId),
      w.map((x) => x.ownerId),
      w.map((x) => x.currency),
      w.map((x) => JSON.stringify({ demo: true, role: x.role, name: x.name, seed: plan.seed })),
      w.map((x) => x.createdAt.toISOString()),
    ],
  );
}

/**
 * Up to `batchSize` posting-function calls in one statement: a UNION ALL runs its branches one after the
 * other, and each call (a VOLATILE function) sees what the calls before it wrote, as post_batch's loop does.
 * No Idempotency-Key (the seed has no retries to protect). Every call must answer 'posted'.
 */
async function postBatch(manager: EntityManager, ops: PlannedOp[]): Promise<void> {
  const parameters: unknown[] = [];
  const calls = ops.map((op, index) => {
    const { expression, parameters: own } = renderRecordedCall(engineCallOf(op), parameters.length + 1);
    parameters.push(...own);
    return `SELECT ${index} AS i, ${expression} AS r`;
  });
  const rows: { i: number; r: { outcome: string; code?: string; detail?: string } }[] = await manager.query(calls.join('\nUNION ALL\n'), parameters);
  for (const row of rows) {
    if (row.r.outcome !== 'posted') {
      const op = ops[row.i];
      throw new Error(`the ledger refused the demo ${op.kind} of ${op.at.toISOString()} (${op.tenantId}): ${row.r.code ?? row.r.outcome} ${row.r.detail ?? ''}`);
    }
  }
  if (rows.length !== ops.length) throw new Error(`a batch of ${ops.length} operations answered ${rows.length} rows`);
}

/** The typed engine call of one planned operation, at the operation's own moment, without an Idempotency-Key. */
function engineCallOf(op: PlannedOp): EngineCall {
  const context = { tenantId: op.tenantId, idempotency: null, now: op.at };
  if (op.kind === 'void') return voidHold(context, op.holdId);
  const details = { reference: op.reference ?? undefined, description: op.description ?? undefined, metadata: op.metadata ?? undefined };
  switch (op.kind) {
    case 'deposit':
    case 'withdrawal':
    case 'transfer':
      return postMovement(context, {
        transactionId: op.id, type: op.kind, debitWalletId: op.debitWalletId, creditWalletId: op.creditWalletId, amountMinor: op.amount, ...details,
      });
    case 'hold':
      return placeHold(context, { holdId: op.id, walletId: op.walletId, amountMinor: op.amount, expiresAt: op.expiresAt, ...details });
    case 'capture':
      return captureHold(context, { transactionId: op.id, holdId: op.holdId, amountMinor: op.amount, toWalletId: op.toWalletId, ...details });
    case 'refund':
      return refundTransaction(context, { transactionId: op.id, originalId: op.originalId, amountMinor: op.amount, ...details });
  }
}

async function summarise(dataSource: DataSource, plan: DemoPlan): Promise<Pick<SeedResult, 'tenants' | 'totals'>> {
  const walletIds = plan.wallets.map((w) => w.id);
  const wallets: { tenant_id: string; wallets: number; buyers: number; sellers: number; currencies: string[] }[] = await dataSource.query(
    `SELECT tenant_id, count(*)::int AS wallets,
            count(DISTINCT owner_id) FILTER (WHERE metadata->>'role' = 'buyer')::int AS buyers,
            count(DISTINCT owner_id) FILTER (WHERE metadata->>'role' = 'seller')::int AS sellers,
            array_agg(DISTINCT currency::text ORDER BY currency::text) AS currencies
       FROM wallets WHERE id = ANY($1::uuid[]) GROUP BY tenant_id`,
    [walletIds],
  );
  const transactions: { tenant_id: string; type: string; count: number }[] = await dataSource.query(
    `SELECT t.tenant_id, t.type, count(*)::int AS count FROM transactions t
      WHERE t.id IN (SELECT DISTINCT transaction_id FROM entries WHERE wallet_id = ANY($1::uuid[]))
      GROUP BY t.tenant_id, t.type`,
    [walletIds],
  );
  const holds: { tenant_id: string; status: string; count: number }[] = await dataSource.query(
    `SELECT tenant_id, hold_status_at(status, expires_at, $2) AS status, count(*)::int AS count
       FROM holds WHERE wallet_id = ANY($1::uuid[]) GROUP BY 1, 2`,
    [walletIds, new Date()],
  );
  const [entries] = await dataSource.query(
    `SELECT count(*)::int AS count FROM entries
      WHERE transaction_id IN (SELECT DISTINCT transaction_id FROM entries WHERE wallet_id = ANY($1::uuid[]))`,
    [walletIds],
  );
  const tenants = DEMO_TENANTS.map((tenant): TenantSummary => {
    const row = wallets.find((w) => w.tenant_id === tenant.id);
    return {
      tenantId: tenant.id,
      wallets: row?.wallets ?? 0,
      buyers: row?.buyers ?? 0,
      sellers: row?.sellers ?? 0,
      currencies: row?.currencies ?? [],
      transactions: Object.fromEntries(transactions.filter((t) => t.tenant_id === tenant.id).map((t) => [t.type, t.count])),
      holds: Object.fromEntries(holds.filter((h) => h.tenant_id === tenant.id).map((h) => [h.status, h.count])),
    };
  });
  const sum = (records: Record<string, number>[]) => records.reduce((total, r) => total + Object.values(r).reduce((a, b) => a + b, 0), 0);
  return {
    tenants,
    totals: {
      wallets: tenants.reduce((total, t) => total + t.wallets, 0),
      transactions: sum(tenants.map((t) => t.transactions)),
      holds: sum(tenants.map((t) => t.holds)),
      entries: entries.count,
    },
  };
}
