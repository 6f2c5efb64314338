import { randomUUID } from 'node:crypto';

/**
 * RFC 9562 UUIDv7: 48 bits of Unix milliseconds, then random bits. Ids made in time order land at the
 * right edge of their B-tree indexes instead of on random pages, which keeps index inserts and WAL
 * small on the posting path. Generated here because PostgreSQL before 18 has no uuidv7().
 * The random part comes from randomUUID(), which draws from a cached entropy pool (cheaper per call
 * than randomBytes); its version nibble is replaced and its variant bits already read 10.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const time = nowMs.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}
