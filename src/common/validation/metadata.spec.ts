import { metadataProblem } from './metadata.js';

describe('metadataProblem', () => {
  it('accepts a flat object of strings, numbers, booleans and null', () => {
    expect(metadataProblem({ order: 'A-1', items: 3, gift: false, note: null })).toBeNull();
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a nested object', { a: { b: 1 } }],
    ['an array value', { a: [1] }],
    ['51 keys', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]))],
    ['a 41-character key', { ['k'.repeat(41)]: 1 }],
    ['a 501-character string', { a: 'x'.repeat(501) }],
  ])('refuses %s', (_, value) => {
    expect(metadataProblem(value)).not.toBeNull();
  });
});
