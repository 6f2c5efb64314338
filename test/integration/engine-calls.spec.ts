import { captureHold, placeHold, postBatch, postConversion, postMovement, refundTransaction, voidHold } from '../../src/ledger/engine/calls.js';
import type { CallContext, EngineCall } from '../../src/ledger/engine/engine-call.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

/**
 * The typed builders name every parameter of their SQL entry point, in the function's own order: a
 * parameter renamed, added or dropped in src/ledger/sql/ without its builder fails here, not in production.
 */
describe('typed engine calls', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const context: CallContext = { tenantId: 'default', idempotency: null, now: new Date() };
  const id = '0190b6a0-0000-7000-8000-000000000000';
  const details = { reference: 'r', description: 'd', metadata: { k: 'v' } };
  const calls: EngineCall[] = [
    postMovement(context, { transactionId: id, type: 'transfer', debitWalletId: id, creditWalletId: id, amountMinor: 1, ...details }),
    placeHold(context, { holdId: id, walletId: id, amountMinor: 1, expiresAt: null, ...details }),
    captureHold(context, { transactionId: id, holdId: id, amountMinor: null, toWalletId: null, ...details }),
    voidHold(context, id),
    refundTransaction(context, { transactionId: id, originalId: id, amountMinor: null, ...details }),
    postConversion(context, { transactionId: id, quoteId: id, fromWalletId: id, toWalletId: id, ...details }),
    postBatch(context, { batchId: id, operations: [] }),
  ];

  it.each(calls.map((call) => [call.entryPoint, call]))('%s: every SQL parameter by name, in order', async (entryPoint, call) => {
    const { rows } = await db.pool.query(
      `SELECT proargnames AS names FROM pg_proc WHERE proname = $1 AND pronamespace = 'public'::regnamespace`,
      [entryPoint],
    );
    expect(rows).toHaveLength(1);
    expect(Object.keys((call as EngineCall).args)).toEqual(rows[0].names);
  });

  it('carries the metric label of each move', () => {
    expect(calls.map((call) => call.type)).toEqual(['transfer', 'hold', 'capture', 'void', 'refund', 'conversion', 'batch']);
  });
});
