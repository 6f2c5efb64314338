import type { IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import type { Metadata } from '../../common/validation/metadata.js';
import type { MoneyMoveType } from '../../observability/wallet-metrics.js';


/** The posting SQL entry points (src/ledger/sql/<name>.sql); each is one statement and one transaction. */
export type EntryPoint =
  | 'post_movement'
  | 'place_hold'
  | 'capture_hold'
  | 'void_hold'
  | 'refund_transaction'
  | 'post_conversion'
  | 'post_batch';

/**
 * One call of a posting entry point, argument by name: `{ p_amount: 2500, … }` is rendered as
 * `post_movement(p_amount => $6, …)`, PostgreSQL's named notation, so no caller (the service, the seed, a
 * test) depends on the order of a function's parameters, and a renamed parameter fails loudly.
 */
export interface EngineCall {
  entryPoint: EntryPoint;
  /** The metric label of this move. */
  type: MoneyMoveType;
  /** Every parameter of the function, by its SQL name; the builders in calls.ts keep one key order each. */
  args: Readonly<Record<string, unknown>>;
}

/** Who calls, with which Idempotency-Key, at what time: the arguments every entry point takes. */
export interface CallContext {
  tenantId: string;
  idempotency: IdempotencyContext | null;
  now: Date;
}

/** What a caller may attach to any money movement. */
export interface MovementDetails {
  reference?: string;
  description?: string;
  metadata?: Metadata;
}

/** The call as SQL: `name(p_a => $n, p_b => $n+1, …)`, placeholders numbered from `firstPlaceholder`. */
export function renderCall(call: EngineCall, firstPlaceholder = 1): { expression: string; parameters: unknown[] } {
  const names = Object.keys(call.args);
  const expression = `${call.entryPoint}(${names.map((name, index) => `${name} => $${firstPlaceholder + index}`).join(', ')})`;
  return { expression, parameters: names.map((name) => call.args[name]) };
}

/**
 * The call as the service sends it: wrapped in record_call_events (src/ledger/sql/record_call_events.sql), so
 * the events of what it posted are written by the same statement, and its outcome comes back unchanged.
 */
export function renderRecordedCall(call: EngineCall, firstPlaceholder = 1): { expression: string; parameters: unknown[] } {
  const { expression, parameters } = renderCall(call, firstPlaceholder);
  const names = Object.keys(call.args);
  const placeholderOf = (name: string) => {
    const index = names.indexOf(name);
    if (index < 0) throw new Error(`${call.entryPoint} call without ${name}`);
    return `$${firstPlaceholder + index}`;
  };
  return {
    expression: `record_call_events('${call.entryPoint}', ${placeholderOf('p_tenant_id')}, ${placeholderOf('p_now')}, ${expression})`,
    parameters,
  };
}

/** The trailing arguments every entry point takes: the Idempotency-Key triple and the service clock's time. */
export function idempotencyArgs(context: CallContext) {
  return {
    p_idem_scope: context.idempotency?.scope ?? null,
    p_idem_key: context.idempotency?.key ?? null,
    p_request_hash: context.idempotency?.requestHash ?? null,
    p_now: context.now,
  } as const;
}

/** reference, description and metadata as the SQL functions take them. */
export function detailsArgs(details: MovementDetails) {
  return {
    p_reference: details.reference ?? null,
    p_description: details.description ?? null,
    p_metadata: details.metadata ? JSON.stringify(details.metadata) : null,
  } as const;
}
