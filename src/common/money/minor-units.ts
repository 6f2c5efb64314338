import { CURRENCY_CODES } from './currency.js';

/**
 * ISO 4217 minor-unit exponents (the "E" column of the ISO 4217 list): how many decimal places a currency's
 * minor unit has. 2 unless listed here. `null`: ISO 4217 gives no minor unit ("N.A."): funds codes and units
 * of account such as XDR, and precious metals. The service converts no amounts in those.
 *
 * Not taken from Intl: Node's ICU data carries CLDR's display digits, which differ from ISO 4217 for about
 * twenty codes (CLDR shows COP, HUF, IDR, PKR … with 0 digits and IQD with 0; ISO 4217 says 2, and 3 for
 * IQD). Money is counted in ISO minor units; src/common/money/minor-units.spec.ts pins where the two differ.
 */
const ISO_4217_EXPONENTS: Readonly<Record<string, number | null>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
  XAG: null, XAU: null, XBA: null, XBB: null, XBC: null, XBD: null, XDR: null, XPD: null, XPT: null, XSU: null,
  XTS: null, XUA: null, XXX: null,
};

/** The largest exponent above: the schema bounds fx_quotes' exponents with it. */
export const MAX_MINOR_UNIT_EXPONENT = 4;

/**
 * The minor-unit exponent of a known currency code (JPY 0, EUR 2, KWD 3), or null when ISO 4217 gives it
 * none or the code is not one the service knows.
 */
export function minorUnitExponent(currency: string): number | null {
  if (!CURRENCY_CODES.includes(currency)) return null;
  return Object.hasOwn(ISO_4217_EXPONENTS, currency) ? ISO_4217_EXPONENTS[currency]! : 2;
}
