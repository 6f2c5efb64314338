import { DomainError } from '../errors/domain-error.js';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('list cursors', () => {
  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor('12345'))).toBe('12345');
  });

  it.each(['', 'abc', '!!!!', Buffer.from('c1:0').toString('base64url'), Buffer.from('c1:-5').toString('base64url'),
    Buffer.from('c2:5').toString('base64url'), Buffer.from('c1:99999999999999999999').toString('base64url'), 'x'.repeat(201)])(
    'refuses %p as VALIDATION_FAILED',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(DomainError);
      try {
        decodeCursor(cursor);
      } catch (error) {
        expect((error as DomainError).code).toBe('VALIDATION_FAILED');
      }
    },
  );
});
