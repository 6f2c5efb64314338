// Checks a wallet statement (GET /v1/wallets/{id}/statement, JSON) against the chain of entry hashes, with
// nothing but Node: node docs/verify-statement.mjs statement.json   (or: curl … | node docs/verify-statement.mjs -)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const bytes = (text) => Buffer.byteLength(text, 'utf8');
const field = (text) => (text === null ? '~' : `${bytes(text)}:${text}`);
// a JSON number as PostgreSQL's numeric prints it: positional, no exponent (1e+21 → 1000000000000000000000)
function numeric(n) {
  const [mantissa, exponent = '0'] = String(Math.abs(n)).split('e');
  const [int, frac = ''] = mantissa.split('.');
  const digits = int + frac;
  const point = int.length + Number(exponent);
  const whole = point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0').replace(/^0+(?=\d)/, '');
  const fraction = point < 0 ? '0'.repeat(-point) + digits : digits.slice(point);
  return (n < 0 ? '-' : '') + whole + (fraction ? `.${fraction}` : '');
}
// metadata as PostgreSQL prints jsonb: keys by length in UTF-8 bytes, then bytewise; ", " and ": "
const jsonb = (metadata) =>
  `{${Object.keys(metadata)
    .sort((a, b) => bytes(a) - bytes(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((key) => `${JSON.stringify(key)}: ${typeof metadata[key] === 'number' ? numeric(metadata[key]) : JSON.stringify(metadata[key])}`)
    .join(', ')}}`;
const entryHash = (previous, walletId, e) =>
  createHash('sha256')
    .update(['wallet-entry/v1', previous ?? '', walletId, e.amount, e.balanceAfter, e.createdAt, e.transactionId, e.type,
      field(e.reference) + field(e.description) + jsonb(e.metadata)].join('|'))
    .digest('hex');

const file = process.argv[2] ?? '-';
const statement = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
let previous = statement.openingHash;
for (const entry of statement.entries) {
  const hash = entryHash(previous, statement.walletId, entry);
  if (hash !== entry.hash) {
    console.error(`entry ${entry.entryId} (transaction ${entry.transactionId}) does not match its hash: computed ${hash}, statement says ${entry.hash}`);
    process.exit(1);
  }
  previous = hash;
}
if (previous !== statement.closingHash) {
  console.error(`the entries end at ${previous}, the statement's closingHash is ${statement.closingHash}`);
  process.exit(1);
}
console.log(`ok: ${statement.entries.length} entries chain from ${statement.openingHash ?? '(the first entry)'} to ${statement.closingHash}`);
