import type { TransactionType } from '../model/transaction.entity.js';
import { type CallContext, detailsArgs, type EngineCall, idempotencyArgs, type MovementDetails } from './engine-call.js';

/**
 * One typed builder per posting entry point. Each names every parameter of its SQL function
 * (src/ledger/sql/<entry point>.sql) in the function's own order; the TypeScript names are the API's,
 * with units last (amountMinor), and each is mapped to its SQL name exactly once, here.
 */

/** `amountMinor` leaves the debit side and reaches the credit side; a null wallet is the currency's world account. */
export interface MovementCall extends MovementDetails {
  transactionId: string;
  type: Extract<TransactionType, 'deposit' | 'withdrawal' | 'transfer'>;
  debitWalletId: string | null;
  creditWalletId: string | null;
  amountMinor: number;
}

export function postMovement(context: CallContext, move: MovementCall): EngineCall {
  return {
    entryPoint: 'post_movement',
    type: move.type,
    args: {
      p_tenant_id: context.tenantId,
      p_transaction_id: move.transactionId,
      p_type: move.type,
      p_debit_wallet_id: move.debitWalletId,
      p_credit_wallet_id: move.creditWalletId,
      p_amount: move.amountMinor,
      ...detailsArgs(move),
      ...idempotencyArgs(context),
    },
  };
}

export interface HoldCall extends MovementDetails {
  holdId: string;
  walletId: string;
  amountMinor: number;
  /** null: the hold lasts until captured or voided. */
  expiresAt: Date | null;
}

export function placeHold(context: CallContext, hold: HoldCall): EngineCall {
  return {
    entryPoint: 'place_hold',
    type: 'hold',
    args: {
      p_tenant_id: context.tenantId,
      p_hold_id: hold.holdId,
      p_wallet_id: hold.walletId,
      p_amount: hold.amountMinor,
      p_expires_at: hold.expiresAt,
      ...detailsArgs(hold),
      ...idempotencyArgs(context),
    },
  };
}

export interface CaptureCall extends MovementDetails {
  transactionId: string;
  holdId: string;
  /** null: all the hold reserves. */
  amountMinor: number | null;
  /** null: the tenant's revenue account. */
  toWalletId: string | null;
}

export function captureHold(context: CallContext, capture: CaptureCall): EngineCall {
  return {
    entryPoint: 'capture_hold',
    type: 'capture',
    args: {
      p_tenant_id: context.tenantId,
      p_transaction_id: capture.transactionId,
      p_hold_id: capture.holdId,
      p_amount: capture.amountMinor,
      p_to_wallet_id: capture.toWalletId,
      ...detailsArgs(capture),
      ...idempotencyArgs(context),
    },
  };
}

export function voidHold(context: CallContext, holdId: string): EngineCall {
  return {
    entryPoint: 'void_hold',
    type: 'void',
    args: { p_tenant_id: context.tenantId, p_hold_id: holdId, ...idempotencyArgs(context) },
  };
}

export interface RefundCall extends MovementDetails {
  transactionId: string;
  originalId: string;
  /** null: all that is still refundable. */
  amountMinor: number | null;
}

export function refundTransaction(context: CallContext, refund: RefundCall): EngineCall {
  return {
    entryPoint: 'refund_transaction',
    type: 'refund',
    args: {
      p_tenant_id: context.tenantId,
      p_transaction_id: refund.transactionId,
      p_original_id: refund.originalId,
      p_amount: refund.amountMinor,
      ...detailsArgs(refund),
      ...idempotencyArgs(context),
    },
  };
}

/** A conversion at an FX quote's amounts: the quote's amount leaves `fromWalletId`, its converted amount reaches `toWalletId`. */
export interface ConversionCall extends MovementDetails {
  transactionId: string;
  quoteId: string;
  fromWalletId: string;
  toWalletId: string;
}

export function postConversion(context: CallContext, conversion: ConversionCall): EngineCall {
  return {
    entryPoint: 'post_conversion',
    type: 'conversion',
    args: {
      p_tenant_id: context.tenantId,
      p_transaction_id: conversion.transactionId,
      p_quote_id: conversion.quoteId,
      p_from_wallet_id: conversion.fromWalletId,
      p_to_wallet_id: conversion.toWalletId,
      ...detailsArgs(conversion),
      ...idempotencyArgs(context),
    },
  };
}

/** `operations` as post_batch reads them: each with the id the service chose for what it creates. */
export function postBatch(context: CallContext, batch: { batchId: string; operations: readonly object[] }): EngineCall {
  return {
    entryPoint: 'post_batch',
    type: 'batch',
    args: {
      p_tenant_id: context.tenantId,
      p_batch_id: batch.batchId,
      p_operations: JSON.stringify(batch.operations),
      ...idempotencyArgs(context),
    },
  };
}
