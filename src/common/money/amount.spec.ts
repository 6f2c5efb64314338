import { minorUnitsFromDb } from './amount.js';

describe('minorUnitsFromDb', () => {
  it('converts bigint text from node-postgres exactly', () => {
    expect(minorUnitsFromDb('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(minorUnitsFromDb('-42')).toBe(-42);
  });

  it('refuses what would lose precision', () => {
    expect(() => minorUnitsFromDb('9007199254740992')).toThrow();
    expect(() => minorUnitsFromDb('1.5')).toThrow();
  });
});
