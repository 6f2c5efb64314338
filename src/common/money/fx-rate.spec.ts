import { MAX_AMOUNT_MINOR } from './amount.js';
import { convertibleRange, convertMinorUnits, type DecimalRate, parseRate, rateText } from './fx-rate.js';

const rate = (text: string): DecimalRate => {
  const parsed = parseRate(text);
  if (!parsed) throw new Error(`not a rate: ${text}`);
  return parsed;
};
const MAX = BigInt(MAX_AMOUNT_MINOR);

/** What the code this replaces would do: a float multiplication, then Math.floor. */
const naiveFloat = (amount: number, rateValue: number, fromExponent: number, toExponent: number) =>
  Math.floor(amount * rateValue * 10 ** (toExponent - fromExponent));

/**
 * An oracle that shares no arithmetic with convertMinorUnits: long multiplication on decimal digit strings, then
 * the digits before the point. Positive amounts only.
 */
function oracle(amount: bigint, rateTextValue: string, fromExponent: number, toExponent: number): bigint {
  const [integer, fraction = ''] = rateTextValue.split('.');
  // amount × rate as a digit string with `fraction.length` decimals, then shifted by the exponents
  const product = (amount * BigInt(integer + fraction)).toString();
  const decimals = fraction.length + fromExponent - toExponent;
  if (decimals <= 0) return BigInt(product + '0'.repeat(-decimals));
  return product.length <= decimals ? 0n : BigInt(product.slice(0, product.length - decimals));
}

describe('parseRate and rateText', () => {
  it.each([
    ['1', 1n, 0, '1'],
    ['1.0842', 10842n, 4, '1.0842'],
    ['1.50', 15n, 1, '1.5'],
    ['2.000', 2n, 0, '2'],
    ['0.0100', 1n, 2, '0.01'],
    ['0.000000000001', 1n, 12, '0.000000000001'],
    ['999999999999.999999999999', 999999999999999999999999n, 12, '999999999999.999999999999'],
  ])('%s is %s / 10^%s, written %s', (text, digits, scale, shortest) => {
    expect(parseRate(text)).toEqual({ digits, scale });
    expect(rateText(parseRate(text)!)).toBe(shortest);
  });

  it.each(['0', '0.0', '0.000000000000', '-1', '+1', '1e3', '1E-2', '01', '00.5', '.5', '5.', '1,5', ' 1', '1 ', '', 'NaN',
    'Infinity', '1.0000000000001', '1000000000000', '0x10', '١'])('refuses %j', (text) => {
    expect(parseRate(text)).toBeNull();
  });
});

describe('convertMinorUnits: exact, rounded down, no floating point', () => {
  // [what, amount, rate, from exponent, to exponent, exact result]
  const cases: [string, bigint, string, number, number, bigint][] = [
    ['EUR→USD 0.29: 100 cents, float gives 28', 100n, '0.29', 2, 2, 29n],
    ['EUR→USD 0.57: 100 cents, float gives 56', 100n, '0.57', 2, 2, 57n],
    ['EUR→USD 1.15: 100 cents, float gives 114', 100n, '1.15', 2, 2, 115n],
    ['EUR→USD 4.35: 100 cents, float gives 434', 100n, '4.35', 2, 2, 435n],
    ['EUR→USD 1.1: 3 cents', 3n, '1.1', 2, 2, 3n],
    ['EUR→USD 0.7: 10 cents', 10n, '0.7', 2, 2, 7n],
    ['EUR→USD 0.1: 30 cents', 30n, '0.1', 2, 2, 3n],
    ['EUR→USD 0.1: 9 cents rounds down to 0', 9n, '0.1', 2, 2, 0n],
    ['USD→EUR 0.7: 1 cent rounds down to 0', 1n, '0.7', 2, 2, 0n],
    ['KWD→JPY (3→0) 487.123: 1.234 KWD', 1234n, '487.123', 3, 0, 601n],
    ['KWD→JPY (3→0) 487.5: 1 fils is 0.4875 yen, down to 0', 1n, '487.5', 3, 0, 0n],
    ['KWD→JPY (3→0) 1000: 1 fils is exactly 1 yen', 1n, '1000', 3, 0, 1n],
    ['JPY→KWD (0→3) 0.002053: 1 yen is 2.053 fils', 1n, '0.002053', 0, 3, 2n],
    ['JPY→KWD (0→3) 0.001: 1 yen is exactly 1 fils', 1n, '0.001', 0, 3, 1n],
    ['JPY→EUR (0→2) 0.0061: 1 yen is 0.61 cent, down to 0', 1n, '0.0061', 0, 2, 0n],
    ['EUR→JPY (2→0) 1.005 × 1000: float gives 1004', 100000n, '1.005', 2, 0, 1005n],
    ['EUR→KWD (2→3) 0.33: 1 cent is 3.3 fils', 1n, '0.33', 2, 3, 3n],
    ['2^53 − 1 at 1', MAX, '1', 2, 2, MAX],
    ['2^53 − 1 at 0.999999999999', MAX, '0.999999999999', 2, 2, 9007199254731983n],
    ['2^53 − 1 at 1.000000000001, past 2^53 − 1', MAX, '1.000000000001', 2, 2, 9007199254749998n],
    ['2^53 − 1 JPY→KWD (0→3) at 0.002053', MAX, '0.002053', 0, 3, 18491780069983254n],
    ['2^53 − 1 KWD→JPY (3→0) at 487.123', MAX, '487.123', 3, 0, 4387613922567195n],
    ['2^53 − 1 EUR→JPY (2→0) at 160: past 2^53 − 1', MAX, '160', 2, 0, 14411518807585585n],
    ['the largest rate on 2^53 − 1', MAX, '999999999999.999999999999', 0, 3, 9007199254740990999999990992800n],
    ['the smallest rate on 2^53 − 1', MAX, '0.000000000001', 3, 0, 9n],
  ];

  it.each(cases)('%s', (_, amount, rateValue, fromExponent, toExponent, expected) => {
    expect(convertMinorUnits(amount, rate(rateValue), fromExponent, toExponent)).toBe(expected);
    expect(oracle(amount, rateValue, fromExponent, toExponent)).toBe(expected);
  });

  it('the cases include ones where a float multiplication is off by a minor unit, and a float cannot even hold the result', () => {
    const floatWrong = cases.filter(
      ([, amount, rateValue, from, to, expected]) =>
        amount <= MAX && BigInt(naiveFloat(Number(amount), Number(rateValue), from, to)) !== expected,
    );
    expect(floatWrong.length).toBeGreaterThanOrEqual(6);
    expect(floatWrong.map(([what]) => what)).toEqual(expect.arrayContaining([
      'EUR→USD 0.29: 100 cents, float gives 28',
      'EUR→USD 1.15: 100 cents, float gives 114',
      'EUR→JPY (2→0) 1.005 × 1000: float gives 1004',
      '2^53 − 1 at 0.999999999999',
    ]));
  });

  it('rounds a negative balance down too (towards −∞): an estimate never shows less debt than there is', () => {
    expect(convertMinorUnits(-1n, rate('0.5'), 2, 2)).toBe(-1n);
    expect(convertMinorUnits(-3n, rate('1.1'), 2, 2)).toBe(-4n);
    expect(convertMinorUnits(-100n, rate('1.15'), 2, 2)).toBe(-115n);
    expect(convertMinorUnits(0n, rate('1.15'), 2, 2)).toBe(0n);
  });

  it('agrees with the digit-string oracle on 20,000 seeded random conversions across exponents 0–4 and every rate scale', () => {
    let seed = 0x5eed;
    const next = () => {
      // xorshift32: reproducible, no Math.random
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
    for (let i = 0; i < 20_000; i++) {
      const integer = String(BigInt(digits(1 + Math.floor(next() * 12))));
      const fraction = digits(Math.floor(next() * 13));
      const text = fraction ? `${integer}.${fraction}` : integer;
      const parsed = parseRate(text);
      if (!parsed) continue; // zero
      const amount = BigInt(digits(1 + Math.floor(next() * 16))) % MAX + 1n;
      const from = Math.floor(next() * 5);
      const to = Math.floor(next() * 5);
      expect([text, amount, from, to, convertMinorUnits(amount, parsed, from, to)]).toEqual([text, amount, from, to, oracle(amount, text, from, to)]);
    }
  });
});

describe('convertibleRange', () => {
  it.each([
    ['1', 2, 2, 1n, MAX],
    ['0.1', 2, 2, 10n, MAX],
    ['0.0061', 0, 2, 2n, MAX],
    ['487.5', 3, 0, 3n, MAX],
    ['160', 2, 0, 1n, 5629499534213119n],
    ['1.000000000001', 2, 2, 1n, 9007199254731984n],
  ])('at %s (%i→%i): %s … %s', (rateValue, from, to, min, max) => {
    const range = convertibleRange(rate(rateValue), from, to);
    expect(range).toEqual({ min, max });
    // the bounds are tight: min converts to ≥ 1 and min − 1 to 0; max to ≤ 2^53 − 1 and max + 1 beyond
    const convert = (amount: bigint) => convertMinorUnits(amount, rate(rateValue), from, to);
    expect(convert(min)).toBeGreaterThanOrEqual(1n);
    if (min > 1n) expect(convert(min - 1n)).toBe(0n);
    expect(convert(max)).toBeLessThanOrEqual(MAX);
    if (max < MAX) expect(convert(max + 1n)).toBeGreaterThan(MAX);
  });

  it('is empty when even 2^53 − 1 converts to 0', () => {
    const range = convertibleRange(rate('0.000000000001'), 4, 0);
    expect(range.min).toBeGreaterThan(range.max);
  });
});
