import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'amount', maxLength: 200 }) field: string;
  @ApiProperty({ example: 'amount must be at least 1', maxLength: 1000 }) message: string;
}

/** RFC 9457 problem details, as every error response carries them. */
export class ProblemDto {
  @ApiProperty({ example: '/problems/insufficient-funds', maxLength: 200 }) type: string;
  @ApiProperty({ example: 'Insufficient funds', maxLength: 200 }) title: string;
  @ApiProperty({ example: 422, minimum: 400, maximum: 599, type: 'integer' }) status: number;
  @ApiProperty({ example: 'Wallet 0b6f… has 500 available; 2500 was requested.', maxLength: 2000 }) detail: string;
  @ApiProperty({ example: 'INSUFFICIENT_FUNDS', maxLength: 64 }) code: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], maxItems: 100 }) errors?: FieldErrorDto[];
  @ApiPropertyOptional({ description: 'Present on 500 responses: quote it when reporting the problem.', maxLength: 100 })
  requestId?: string;
}
