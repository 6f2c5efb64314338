import { ParseUUIDPipe } from '@nestjs/common';
import { validationFailed } from '../errors/domain-error.js';

/** A path id that is not a UUID is the caller's mistake: 400 VALIDATION_FAILED, never a lookup. */
export const uuidParam = (name: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => validationFailed(`${name} must be a UUID.`, [{ field: name, message: 'must be a UUID' }]),
  });
