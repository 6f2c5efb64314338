import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy, ValidationOptions } from 'class-validator';
import { OptionalField } from './optional.js';

export const METADATA_MAX_KEYS = 50;
export const METADATA_KEY_MAX_LENGTH = 40;
export const METADATA_STRING_MAX_LENGTH = 500;

export type Metadata = Record<string, string | number | boolean | null>;

/** Why a value is not valid metadata, or null when it is. */
export function metadataProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a flat JSON object';
  const entries = Object.entries(value);
  if (entries.length > METADATA_MAX_KEYS) return `may have at most ${METADATA_MAX_KEYS} keys`;
  for (const [key, item] of entries) {
    if (key.length < 1 || key.length > METADATA_KEY_MAX_LENGTH) return `keys must be 1–${METADATA_KEY_MAX_LENGTH} characters`;
    if (typeof item === 'string') {
      if (item.length > METADATA_STRING_MAX_LENGTH) return `string values may have at most ${METADATA_STRING_MAX_LENGTH} characters`;
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return 'numbers must be finite';
    } else if (item !== null && typeof item !== 'boolean') {
      return `value of "${key}" must be a string, number, boolean or null`;
    }
  }
  return null;
}

function IsMetadata(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isMetadata',
      validator: {
        validate: (value) => metadataProblem(value) === null,
        defaultMessage: (args) => `${args?.property} ${metadataProblem(args?.value) ?? 'is not valid'}`,
      },
    },
    options,
  );
}

export function OptionalMetadata() {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: { oneOf: [{ type: 'string', maxLength: 500 }, { type: 'number' }, { type: 'boolean' }], nullable: true },
      maxProperties: METADATA_MAX_KEYS,
      description: `Flat object: at most ${METADATA_MAX_KEYS} keys of at most ${METADATA_KEY_MAX_LENGTH} characters; values are strings (≤ ${METADATA_STRING_MAX_LENGTH} characters), numbers, booleans or null.`,
      example: { orderId: 'ord_1042' },
    }),
    OptionalField(),
    IsMetadata(),
  );
}
