import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString } from 'class-validator';

/** ISO 4217 codes as the ICU data shipped with Node knows them. */
export const CURRENCY_CODES: readonly string[] = Intl.supportedValuesOf('currency');

export function IsCurrencyCode() {
  return applyDecorators(
    ApiProperty({ description: 'ISO 4217 currency code, upper case', example: 'EUR', pattern: '^[A-Z]{3}$', minLength: 3, maxLength: 3 }),
    IsString(),
    IsIn(CURRENCY_CODES, { message: '$property must be a known ISO 4217 code in upper case' }),
  );
}
