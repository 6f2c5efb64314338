import { CURRENCY_CODES } from './currency.js';
import { minorUnitExponent } from './minor-units.js';

describe('minorUnitExponent (ISO 4217)', () => {
  it.each([
    ['EUR', 2], ['USD', 2], ['GBP', 2], ['CHF', 2], ['JPY', 0], ['KRW', 0], ['CLP', 0], ['ISK', 0], ['VND', 0], ['XOF', 0],
    ['KWD', 3], ['BHD', 3], ['JOD', 3], ['OMR', 3], ['TND', 3], ['IQD', 3], ['LYD', 3], ['HUF', 2], ['IDR', 2], ['COP', 2],
  ])('%s has %i decimal places', (code, exponent) => {
    expect(minorUnitExponent(code)).toBe(exponent);
  });

  it('has none for codes ISO 4217 gives no minor unit, nor for codes the service does not know', () => {
    expect(minorUnitExponent('XDR')).toBeNull();
    expect(minorUnitExponent('XSU')).toBeNull();
    expect(minorUnitExponent('ZZZ')).toBeNull();
    expect(minorUnitExponent('eur')).toBeNull();
  });

  it('answers for every code the service accepts', () => {
    for (const code of CURRENCY_CODES) expect([0, 2, 3, 4, null]).toContain(minorUnitExponent(code));
  });

  // Node's ICU data carries CLDR's display digits, not ISO 4217's minor units. This pins where they differ, so a
  // Node upgrade that changes either set shows up here instead of in someone's balance.
  it('differs from the display digits of Node’s ICU data exactly where ISO 4217 and CLDR disagree', () => {
    const cldr = (code: string) => new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits;
    const differences = CURRENCY_CODES.filter((code) => minorUnitExponent(code) !== null && minorUnitExponent(code) !== cldr(code));
    expect(differences.sort()).toEqual([
      'AFN', 'ALL', 'COP', 'HUF', 'IDR', 'IQD', 'IRR', 'KPW', 'LAK', 'LBP', 'MGA', 'MMK', 'PKR', 'SLL', 'SOS', 'SYP', 'YER',
    ].filter((code) => CURRENCY_CODES.includes(code)));
  });
});
