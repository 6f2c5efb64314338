import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsUUID, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { MAX_AMOUNT_MINOR } from '../../../common/money/amount.js';
import { MAX_HOLD_SECONDS } from '../../holds/dto/create-hold.dto.js';
import { HoldDto } from '../../holds/dto/hold.dto.js';
import { MovementDetailsDto } from '../../movements/dto/movement.dto.js';
import { TransactionDto } from '../../movements/dto/transaction.dto.js';

export const BATCH_OPERATION_TYPES = ['deposit', 'withdrawal', 'transfer', 'hold', 'capture'] as const;
export type BatchOperationType = (typeof BATCH_OPERATION_TYPES)[number];
export const MAX_BATCH_OPERATIONS = 100;

type OperationField = 'walletId' | 'fromWalletId' | 'toWalletId' | 'holdId' | 'amount' | 'expiresInSeconds';

/** Per type: the fields it needs, and the ones it may have (besides reference, description, metadata). */
export const OPERATION_FIELDS: Record<BatchOperationType, { required: OperationField[]; optional: OperationField[] }> = {
  deposit: { required: ['walletId', 'amount'], optional: [] },
  withdrawal: { required: ['walletId', 'amount'], optional: [] },
  transfer: { required: ['fromWalletId', 'toWalletId', 'amount'], optional: [] },
  hold: { required: ['walletId', 'amount'], optional: ['expiresInSeconds'] },
  capture: { required: ['holdId'], optional: ['amount', 'toWalletId'] },
};

/** Validated when the operation's type needs the field or the caller sent it anyway. */
const whenUsed = (field: OperationField) =>
  ValidateIf((op: BatchOperationDto, value: unknown) => value !== undefined || OPERATION_FIELDS[op.type]?.required.includes(field));

const uuidField = (field: OperationField, description: string) =>
  applyDecorators(ApiPropertyOptional({ format: 'uuid', description }), whenUsed(field), IsUUID('all'));

/** One operation of a batch; which fields it takes depends on its type (see the endpoint's description). */
export class BatchOperationDto extends MovementDetailsDto {
  @ApiProperty({ enum: BATCH_OPERATION_TYPES })
  @IsIn(BATCH_OPERATION_TYPES)
  type: BatchOperationType;

  @uuidField('walletId', 'deposit, withdrawal, hold: the wallet')
  walletId?: string;

  @uuidField('fromWalletId', 'transfer: the paying wallet')
  fromWalletId?: string;

  @uuidField('toWalletId', "transfer: the receiving wallet; capture: the seller's wallet (default: revenue)")
  toWalletId?: string;

  @uuidField('holdId', 'capture: the hold')
  holdId?: string;

  @ApiPropertyOptional({ type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, example: 2500, description: 'Minor units; capture: default the whole hold' })
  @whenUsed('amount')
  @IsInt({ message: '$property must be an integer number of minor units' })
  @Min(1)
  @Max(MAX_AMOUNT_MINOR)
  amount?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_HOLD_SECONDS, description: 'hold: seconds until it expires' })
  @whenUsed('expiresInSeconds')
  @IsInt()
  @Min(1)
  @Max(MAX_HOLD_SECONDS)
  expiresInSeconds?: number;
}

export class BatchDto {
  @ApiProperty({
    type: [BatchOperationDto],
    minItems: 1,
    maxItems: MAX_BATCH_OPERATIONS,
    example: [
      { type: 'deposit', walletId: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10', amount: 10000, reference: 'topup-77' },
      { type: 'transfer', fromWalletId: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10', toWalletId: '5d1e8c7a-3b0f-4f6e-8a2b-9c4d3e2f1a00', amount: 2500 },
    ],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_OPERATIONS)
  @ValidateNested({ each: true })
  @Type(() => BatchOperationDto)
  operations: BatchOperationDto[];
}

export class BatchResultItemDto {
  @ApiProperty({ enum: BATCH_OPERATION_TYPES }) type: BatchOperationType;
  @ApiPropertyOptional({ type: TransactionDto, description: 'deposit, withdrawal, transfer, capture: the posted transaction' })
  transaction?: TransactionDto;
  @ApiPropertyOptional({ type: HoldDto, description: 'hold: the placed hold' })
  hold?: HoldDto;
}

export class BatchResultDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: [BatchResultItemDto], minItems: 1, maxItems: MAX_BATCH_OPERATIONS, description: 'One result per operation, in order' })
  operations: BatchResultItemDto[];
}
