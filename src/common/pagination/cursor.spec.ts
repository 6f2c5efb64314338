import { DomainError } from '../errors/domain-error.js';
import { CursorCodec } from './cursor.js';

describe('CursorCodec', () => {
  const codec = new CursorCodec('test-secret');

  it('round-trips a position within its list', () => {
    expect(codec.decode('wallet-a:desc', codec.encode('wallet-a:desc', '12345'))).toBe('12345');
  });

  const refusals: [string, string][] = [
    ['empty', ''],
    ['garbage', 'abc'],
    ['punctuation', '!!!!'],
    ['from another list', codec.encode('wallet-b:desc', '12345')],
    ['from another order', codec.encode('wallet-a:asc', '12345')],
    ['signed by another secret', new CursorCodec('other').encode('wallet-a:desc', '12345')],
    ['at position 0', codec.encode('wallet-a:desc', '0')],
    ['beyond bigint', codec.encode('wallet-a:desc', '99999999999999999999')],
    ['with an edited position', `${Buffer.from('12346').toString('base64url')}.${codec.encode('wallet-a:desc', '12345').split('.')[1]}`],
  ];
  it.each(refusals)('refuses a cursor %s as VALIDATION_FAILED', (_, cursor) => {
    let caught: unknown;
    try {
      codec.decode('wallet-a:desc', cursor);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe('VALIDATION_FAILED');
  });
});
