import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { HoldDto } from '../../ledger/holds/dto/hold.dto.js';
import { TransactionDto } from '../../ledger/movements/dto/transaction.dto.js';
import { WalletDto } from '../../wallets/dto/wallet.dto.js';
import { EVENT_TYPES, type EventType } from '../event-types.js';

export class WalletEventDataDto {
  @ApiProperty({ type: WalletDto, description: 'The wallet as the change left it' }) wallet: WalletDto;
}

export class TransactionEventDataDto {
  @ApiProperty({ type: TransactionDto, description: 'The transaction as it was posted (refundedAmount 0)' }) transaction: TransactionDto;
}

export class HoldEventDataDto {
  @ApiProperty({ type: HoldDto, description: 'The hold as the change left it' }) hold: HoldDto;
}

export type EventData = WalletEventDataDto | TransactionEventDataDto | HoldEventDataDto;

@ApiExtraModels(WalletEventDataDto, TransactionEventDataDto, HoldEventDataDto)
export class EventDto {
  @ApiProperty({ format: 'uuid', description: 'Unique; the webhook-id of its deliveries' }) id: string;
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 1042,
    description: "Position in the tenant's feed: unique, increasing in commit order",
  })
  sequence: number;
  @ApiProperty({ enum: EVENT_TYPES }) type: EventType;
  @ApiProperty({ format: 'date-time', description: 'When the change happened (for hold.expired: when the hold expired)' }) createdAt: string;
  @ApiProperty({
    description: 'wallet.* → { wallet }, transaction.posted → { transaction }, hold.* → { hold }',
    oneOf: [
      { $ref: getSchemaPath(WalletEventDataDto) },
      { $ref: getSchemaPath(TransactionEventDataDto) },
      { $ref: getSchemaPath(HoldEventDataDto) },
    ],
  })
  data: EventData;
}

export class EventPageDto {
  @ApiProperty({ type: [EventDto], maxItems: 100 }) data: EventDto[];
  @ApiProperty({
    type: 'string', nullable: true, maxLength: 200,
    description:
      'Pass as `cursor` for the next page; null when this page reached the last event committed so far ' +
      '(poll again later with `after` set to the last sequence you saw)',
  })
  nextCursor: string | null;
}
