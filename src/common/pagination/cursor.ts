import { validationFailed } from '../errors/domain-error.js';

/**
 * Opaque list cursors: base64url of a versioned position. Anything the service did not issue fails to
 * decode or to validate and answers 400 instead of silently restarting the list.
 */
const VERSION = 'c1';

export function encodeCursor(position: string): string {
  return Buffer.from(`${VERSION}:${position}`, 'utf8').toString('base64url');
}

/** Returns the position (a positive bigint as decimal text) or throws VALIDATION_FAILED. */
export function decodeCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^c1:([1-9][0-9]{0,18})$/.exec(decoded);
  if (!match || BigInt(match[1]) > 9223372036854775807n) {
    throw validationFailed('cursor is not one this service issued.', [{ field: 'cursor', message: 'is not a valid cursor' }]);
  }
  return match[1];
}
