import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FxRate, FxRateProvider } from './fx-rate-provider.js';

interface RateRow {
  from_currency: string;
  to_currency: string;
  rate: string;
  created_at: Date;
}

const toRate = (row: RateRow): FxRate => ({ fromCurrency: row.from_currency, toCurrency: row.to_currency, rate: row.rate, updatedAt: row.created_at });

/**
 * The built-in FxRateProvider: the rates operators set per tenant with PUT /v1/admin/fx-rates/{from}/{to}, kept in
 * fx_rates. Setting a rate adds a row, so every rate a pair ever had stays there with when and by which key it was
 * set; the current rate is the pair's newest row. `rate::text` throughout: numeric reaches JavaScript as the
 * decimal string PostgreSQL holds, never as a float.
 */
@Injectable()
export class OperatorFxRateProvider implements FxRateProvider {
  constructor(private readonly dataSource: DataSource) {}

  async rate(tenantId: string, fromCurrency: string, toCurrency: string): Promise<FxRate | null> {
    const [row]: RateRow[] = await this.dataSource.query(
      `SELECT from_currency, to_currency, rate::text AS rate, created_at FROM fx_rates
        WHERE tenant_id = $1 AND from_currency = $2 AND to_currency = $3 ORDER BY id DESC LIMIT 1`,
      [tenantId, fromCurrency, toCurrency],
    );
    return row ? toRate(row) : null;
  }

  /** `rate` in its shortest decimal text (rateText), so that it reads back exactly as given. */
  async set(tenantId: string, fromCurrency: string, toCurrency: string, rate: string, setBy: string, at: Date): Promise<FxRate> {
    const [row]: RateRow[] = await this.dataSource.query(
      `INSERT INTO fx_rates (tenant_id, from_currency, to_currency, rate, set_by, created_at) VALUES ($1, $2, $3, $4::numeric, $5, $6)
       RETURNING from_currency, to_currency, rate::text AS rate, created_at`,
      [tenantId, fromCurrency, toCurrency, rate, setBy, at],
    );
    return toRate(row!);
  }

  /** The tenant's current rate of every pair that has one. */
  async list(tenantId: string): Promise<FxRate[]> {
    const rows: RateRow[] = await this.dataSource.query(
      `SELECT DISTINCT ON (from_currency, to_currency) from_currency, to_currency, rate::text AS rate, created_at
         FROM fx_rates WHERE tenant_id = $1
        ORDER BY from_currency, to_currency, id DESC`,
      [tenantId],
    );
    return rows.map(toRate);
  }
}
