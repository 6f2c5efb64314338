import { createHmac, timingSafeEqual } from 'node:crypto';
import { validationFailed } from '../errors/domain-error.js';

/**
 * Opaque list cursors: a position signed with HMAC-SHA256 over the list it belongs to (e.g. one wallet's
 * history in one order). A cursor the service did not issue for that list — garbage, edited, or taken
 * from another list — answers 400 instead of silently restarting or skipping.
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  encode(list: string, position: string): string {
    return `${Buffer.from(position, 'utf8').toString('base64url')}.${this.sign(list, position)}`;
  }

  /**
   * Returns the position — a positive bigint as decimal text, or a UUID for lists keyed on one — or
   * throws VALIDATION_FAILED.
   */
  decode(list: string, cursor: string, kind: 'bigint' | 'uuid' = 'bigint'): string {
    const match = /^([A-Za-z0-9_-]{1,48})\.([A-Za-z0-9_-]{22})$/.exec(cursor);
    const position = match ? Buffer.from(match[1], 'base64url').toString('utf8') : '';
    const wellFormed =
      kind === 'uuid'
        ? /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(position)
        : /^[1-9][0-9]{0,18}$/.test(position) && BigInt(position) <= 9223372036854775807n;
    const valid =
      match !== null &&
      wellFormed &&
      timingSafeEqual(Buffer.from(match[2]), Buffer.from(this.sign(list, position)));
    if (!valid) throw validationFailed('cursor is not one this service issued for this list.', [{ field: 'cursor', message: 'is not a valid cursor' }]);
    return position;
  }

  private sign(list: string, position: string): string {
    return createHmac('sha256', this.secret).update(`c1\n${list}\n${position}`).digest('base64url').slice(0, 22);
  }
}
