import type { PipeTransform } from '@nestjs/common';
import { validationFailed } from '../errors/domain-error.js';
import { CURRENCY_CODES } from '../money/currency.js';

/** A path currency that is not a known ISO 4217 code in upper case is the caller's mistake: 400 VALIDATION_FAILED. */
export const currencyParam = (name: string): PipeTransform<string, string> => ({
  transform(value: string): string {
    if (typeof value !== 'string' || !CURRENCY_CODES.includes(value)) {
      throw validationFailed(`${name} must be a known ISO 4217 code in upper case.`, [
        { field: name, message: 'must be a known ISO 4217 code in upper case' },
      ]);
    }
    return value;
  },
});
