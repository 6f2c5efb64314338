import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_AMOUNT_MINOR, minorUnitsFromDb } from '../../../common/money/amount.js';
import type { Metadata } from '../../../common/validation/metadata.js';
import type { HoldDocument } from '../../engine/documents.js';
import type { HoldStatus } from '../../model/hold.entity.js';
import { isHoldDue } from '../../model/hold-status.js';

export const HOLD_STATUSES: HoldStatus[] = ['active', 'captured', 'voided', 'expired'];

export class HoldDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) walletId: string;
  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$' }) currency: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, example: 4990, description: 'Minor units reserved' })
  amount: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: MAX_AMOUNT_MINOR, example: 0, description: 'Minor units captured (0 unless captured)' })
  capturedAmount: number;
  @ApiProperty({
    enum: HOLD_STATUSES,
    description: 'A hold past expiresAt reads as expired from that moment, whether or not the background sweeper has visited it',
  })
  status: HoldStatus;
  @ApiPropertyOptional({ format: 'date-time' }) expiresAt?: string;
  @ApiPropertyOptional({ maxLength: 255, example: 'order-1042' }) reference?: string;
  @ApiPropertyOptional({ maxLength: 1000 }) description?: string;
  @ApiProperty({ type: 'object', additionalProperties: true, maxProperties: 50 }) metadata: Metadata;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When it stopped reserving money: captured, voided or expired at' })
  releasedAt?: string;
}

export class HoldPageDto {
  @ApiProperty({ type: [HoldDto], maxItems: 100 }) data: HoldDto[];
  @ApiProperty({ type: 'string', nullable: true, maxLength: 200, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}

const iso = (value: string) => new Date(value).toISOString();

/**
 * `now` decides whether an active hold has expired; null renders the document as stored, which is
 * what a replayed response must do (the same body as the first time).
 */
export function toHoldDto(doc: HoldDocument, now: Date | null): HoldDto {
  const due = now !== null && isHoldDue(doc.status, doc.expires_at, now);
  return {
    id: doc.id,
    walletId: doc.wallet_id,
    currency: doc.currency,
    amount: minorUnitsFromDb(doc.amount),
    capturedAmount: minorUnitsFromDb(doc.captured_amount),
    status: due ? 'expired' : doc.status,
    ...(doc.expires_at !== null ? { expiresAt: iso(doc.expires_at) } : {}),
    ...(doc.reference !== null ? { reference: doc.reference } : {}),
    ...(doc.description !== null ? { description: doc.description } : {}),
    metadata: doc.metadata,
    createdAt: iso(doc.created_at),
    ...(due ? { releasedAt: iso(doc.expires_at as string) } : doc.released_at !== null ? { releasedAt: iso(doc.released_at) } : {}),
  };
}
