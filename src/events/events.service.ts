import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { validationFailed } from '../common/errors/domain-error.js';
import { CursorCodec } from '../common/pagination/cursor.js';
import type { EventPageDto } from './dto/event.dto.js';
import type { EventsQuery } from './dto/events.query.js';
import { type EventRow, toEventDto } from './event-rendering.js';

/**
 * A filtered page reads at most this many events past its starting point, so a filter that matches rarely
 * cannot make one request scan the whole feed; a page cut short this way still carries a nextCursor.
 */
export const EVENT_SCAN_LIMIT = 1_000;

/**
 * $1 tenant, $2 after this sequence, $3 how many to scan, $4 type or null, $5 wallet or null, $6 page size + 1.
 * The summary row comes back even when the page is empty (the LEFT JOIN), saying how far the scan got.
 */
const EVENT_PAGE = `
  WITH scanned AS MATERIALIZED (
    SELECT sequence, id, type, created_at, wallet_id, other_wallet_id, transaction_id, data
      FROM events WHERE tenant_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3
  ), page AS (
    SELECT * FROM scanned
     WHERE ($4::text IS NULL OR type = $4) AND ($5::uuid IS NULL OR wallet_id = $5::uuid OR other_wallet_id = $5::uuid)
     ORDER BY sequence LIMIT $6
  )
  SELECT s.scanned, s.scanned_through, p.sequence, p.id, p.type, p.created_at, event_data(p.transaction_id, p.data) AS data
    FROM (SELECT count(*)::int AS scanned, max(sequence) AS scanned_through FROM scanned) s
    LEFT JOIN page p ON true
   ORDER BY p.sequence`;

type PageRow = { scanned: number; scanned_through: string | null } & ({ sequence: null } | EventRow);

@Injectable()
export class EventsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CursorCodec) private readonly cursors: CursorCodec,
  ) {}

  async page(tenantId: string, query: EventsQuery): Promise<EventPageDto> {
    if (query.cursor !== undefined && query.after !== undefined) {
      throw validationFailed('after and cursor cannot both be given: a cursor already says where to go on.', [
        { field: 'after', message: 'must be absent when cursor is given' },
      ]);
    }
    // one list per tenant and filter: a cursor of another filter is refused
    const list = `events:${tenantId}:${query.type ?? ''}:${query.walletId ?? ''}`;
    const after = query.cursor !== undefined ? this.cursors.decode(list, query.cursor) : String(query.after ?? 0);
    const filtered = query.type !== undefined || query.walletId !== undefined;
    const scanLimit = filtered ? EVENT_SCAN_LIMIT : query.limit + 1;
    const rows: PageRow[] = await this.dataSource.query(EVENT_PAGE, [
      tenantId, after, scanLimit, query.type ?? null, query.walletId ?? null, query.limit + 1,
    ]);
    const events = rows.filter((row): row is PageRow & EventRow => row.sequence !== null);
    const { scanned, scanned_through: scannedThrough } = rows[0]!;
    let nextPosition: string | null = null;
    if (events.length > query.limit) nextPosition = events[query.limit - 1]!.sequence;
    else if (scanned === scanLimit && scannedThrough !== null) nextPosition = scannedThrough;
    return {
      data: events.slice(0, query.limit).map(toEventDto),
      nextCursor: nextPosition === null ? null : this.cursors.encode(list, nextPosition),
    };
  }
}
