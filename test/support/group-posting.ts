import type { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import type request from 'supertest';
import { LedgerEngine } from '../../src/ledger/engine/ledger-engine.js';

/**
 * What the group-posting tests observe: the posting metrics as GET /metrics serves them, the database's
 * own record of which rows one transaction wrote (xmin), the poster's queue, and outside connections
 * that hold a wallet's row lock so that the posting slots stay busy for as long as a test needs.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, as far as the service's metrics use it: `name{label="value",…} number` lines. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The group-posting metrics at one moment. */
export interface PostingGroups {
  /** Groups sent (wallet_posting_group_size_count). */
  groups: number;
  /** Moves they carried (wallet_posting_group_size_sum). */
  moves: number;
  /** Moves that waited for a slot (wallet_posting_queued_total). */
  queued: number;
  /** Cumulative bucket counts by upper bound: groups of at most `le` moves. */
  atMost: Record<string, number>;
}

export function postingGroupsOf(samples: Sample[]): PostingGroups {
  const one = (name: string) => {
    const found = samples.filter((s) => s.name === name);
    if (found.length !== 1) throw new Error(`${name}: ${found.length} samples`);
    return found[0]!.value;
  };
  const atMost: Record<string, number> = {};
  for (const s of samples) if (s.name === 'wallet_posting_group_size_bucket') atMost[s.labels.le!] = s.value;
  return {
    groups: one('wallet_posting_group_size_count'),
    moves: one('wallet_posting_group_size_sum'),
    queued: one('wallet_posting_queued_total'),
    atMost,
  };
}

/** GET /metrics, read as group-posting figures. */
export async function scrapePostingGroups(http: ReturnType<typeof request>): Promise<PostingGroups> {
  const reply = await http.get('/metrics');
  if (reply.status !== 200) throw new Error(`GET /metrics answered ${reply.status}`);
  return postingGroupsOf(parseExposition(reply.text));
}

/** What changed between two scrapes: groups sent, moves carried, moves that waited, groups per bucket. */
export function postingGroupsSince(before: PostingGroups, after: PostingGroups): PostingGroups {
  const atMost: Record<string, number> = {};
  for (const le of Object.keys(after.atMost)) atMost[le] = after.atMost[le]! - (before.atMost[le] ?? 0);
  return { groups: after.groups - before.groups, moves: after.moves - before.moves, queued: after.queued - before.queued, atMost };
}

/**
 * Moves waiting in the service's poster for a free slot right now. The metrics count a wait only once the
 * move has gone out, so a test that must know a request has reached the queue before it frees the slot
 * asks the poster itself.
 */
export function queuedMoves(app: INestApplication): number {
  const poster = (app.get(LedgerEngine) as unknown as { poster?: { queued?: unknown } }).poster;
  if (typeof poster?.queued !== 'number') throw new Error('LedgerEngine has no poster with a queue length');
  return poster.queued;
}

/** Polls (bounded) until `probe` holds, so a broken test fails with `what` instead of hanging. */
export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}

/** The service's sessions waiting for a lock right now, with what each runs (`SELECT post_group(…` for a group). */
export async function serviceLockWaits(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ query: string }>(
    `SELECT query FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'wallet-service' AND wait_event_type = 'Lock'`,
  );
  return rows.map((row) => row.query);
}

/** The transaction (xmin) that wrote each row of `transactions` named, by id; a missing id is absent. */
export async function writersOf(pool: pg.Pool, transactionIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ id: string; xmin: string }>('SELECT id, xmin::text AS xmin FROM transactions WHERE id = ANY($1::uuid[])', [
    transactionIds,
  ]);
  return new Map(rows.map((row) => [row.id, row.xmin]));
}

/** An outside connection holding one wallet's row lock (BEGIN; SELECT … FOR UPDATE) until it ends. */
export interface WalletLock {
  /** Ends the outside transaction, releasing the lock. */
  release(how?: 'COMMIT' | 'ROLLBACK'): Promise<void>;
}

const heldLocks = new Set<WalletLock>();

/** Rolls back every outside lock still held (after a failed test, so the next one starts clean). */
export async function releaseWalletLocks(): Promise<void> {
  await Promise.all([...heldLocks].map((lock) => lock.release('ROLLBACK')));
}

export async function lockWallet(pool: pg.Pool, walletId: string): Promise<WalletLock> {
  const client = await pool.connect();
  let open = true;
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query('SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
    if (rowCount !== 1) throw new Error(`no wallet ${walletId} to lock`);
  } catch (error) {
    client.release(true);
    throw error;
  }
  const lock: WalletLock = {
    async release(how = 'COMMIT') {
      if (!open) return;
      open = false;
      heldLocks.delete(lock);
      try {
        await client.query(how);
      } finally {
        client.release(true); // closed, not pooled: nothing of this session lingers for the next user
      }
    },
  };
  heldLocks.add(lock);
  return lock;
}
