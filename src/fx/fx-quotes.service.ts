import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { uuidv7 } from '../common/ids/uuid-v7.js';
import { minorUnitsFromDb } from '../common/money/amount.js';
import type { IdempotencyContext } from '../idempotency/idempotency-key.decorator.js';
import { IdempotencyStore, type StoredResponse } from '../idempotency/idempotency.store.js';
import { type CreateFxQuoteDto, DEFAULT_QUOTE_SECONDS, type FxQuoteDto, type FxQuoteStatus } from './dto/fx-quote.dto.js';
import { convertAmount, usableRate } from './fx-conversion.js';
import { FX_RATE_PROVIDER, type FxRateProvider } from './fx-rate-provider.js';

interface QuoteRow {
  id: string;
  from_currency: string;
  to_currency: string;
  amount: string;
  converted_amount: string;
  rate: string;
  expires_at: Date;
  created_at: Date;
  transaction_id: string | null;
}

const QUOTE_COLUMNS = 'q.id, q.from_currency, q.to_currency, q.amount, q.converted_amount, q.rate::text AS rate, q.expires_at, q.created_at';

export const quoteNotFound = (id: string) => new DomainError('QUOTE_NOT_FOUND', `Quote ${id} does not exist.`);

function toFxQuoteDto(row: QuoteRow, status: FxQuoteStatus): FxQuoteDto {
  return {
    id: row.id,
    fromCurrency: row.from_currency,
    toCurrency: row.to_currency,
    amount: minorUnitsFromDb(row.amount),
    convertedAmount: minorUnitsFromDb(row.converted_amount),
    rate: row.rate,
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    status,
    ...(row.transaction_id ? { transactionId: row.transaction_id } : {}),
  };
}

/**
 * FX quotes: a conversion's amounts fixed in advance, for a time. The converted amount is computed here, once,
 * exactly (src/common/money/fx-rate.ts), and checked again by the schema on numeric when the quote is stored;
 * post_conversion moves the stored amounts and multiplies nothing.
 */
@Injectable()
export class FxQuotesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyStore,
    private readonly clock: Clock,
    @Inject(FX_RATE_PROVIDER) private readonly rates: FxRateProvider,
  ) {}

  async create(tenantId: string, input: CreateFxQuoteDto, idempotency: IdempotencyContext | null): Promise<StoredResponse<FxQuoteDto>> {
    // Asked before the key is claimed, so no connection is held while the provider answers; a refusal is decided
    // inside, so it is kept with the key (a retry gets it again even once the rate exists).
    const found = await this.rates.rate(tenantId, input.fromCurrency, input.toCurrency);
    return this.idempotency.runOnce('fx_quote_create', idempotency, async (manager) => {
      const rate = usableRate(input.fromCurrency, input.toCurrency, found);
      const convertedAmount = convertAmount(input.amount, rate, { atLeastOne: true });
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + (input.expiresInSeconds ?? DEFAULT_QUOTE_SECONDS) * 1000);
      const [row]: QuoteRow[] = await manager.query(
        `INSERT INTO fx_quotes AS q (id, tenant_id, from_currency, to_currency, amount, converted_amount, rate, from_exponent, to_exponent,
                                     expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8, $9, $10, $11)
         RETURNING ${QUOTE_COLUMNS}, NULL::uuid AS transaction_id`,
        [uuidv7(), tenantId, rate.fromCurrency, rate.toCurrency, input.amount, convertedAmount, rate.text, rate.fromExponent, rate.toExponent,
          expiresAt, now],
      );
      return { status: 201, body: toFxQuoteDto(row!, 'active') };
    });
  }

  async get(tenantId: string, id: string): Promise<FxQuoteDto> {
    const [row]: QuoteRow[] = await this.dataSource.query(
      `SELECT ${QUOTE_COLUMNS}, t.id AS transaction_id
         FROM fx_quotes q LEFT JOIN transactions t ON t.quote_id = q.id
        WHERE q.id = $1 AND q.tenant_id = $2`,
      [id, tenantId],
    );
    if (!row) throw quoteNotFound(id);
    const status: FxQuoteStatus = row.transaction_id ? 'used' : row.expires_at <= this.clock.now() ? 'expired' : 'active';
    return toFxQuoteDto(row, status);
  }
}
