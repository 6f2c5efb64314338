import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSql } from './sql-file.js';

/** This migration's frozen SQL is in migrations/sql/1764600000000/ (see sql-file.ts). */
const VERSION = '1764600000000';

/** New here, created in this order (each calls only the ones before it) and dropped in reverse. */
const CREATED = ['event_data', 'outcome_events', 'record_events', 'record_call_events', 'append_event', 'wallet_event', 'hold_expired_event'];

/** Rewritten to record its calls' events; down() puts back the group-posting body. */
const REPLACED = ['post_group'];

/** As src/events/event-types.ts had them when this migration was written (frozen, like its SQL). */
const EVENT_TYPES = [
  'wallet.created',
  'wallet.updated',
  'transaction.posted',
  'hold.created',
  'hold.captured',
  'hold.voided',
  'hold.expired',
] as const;

/**
 * Events and webhooks (a transactional outbox and its deliveries).
 *
 * - `events`: one row per change of state, written in the transaction of the change. A posting statement writes
 *   its calls' events itself (record_events, from post_group and from record_call_events, which the service
 *   wraps around a single call); wallet.created/updated and hold.expired come from deferred constraint
 *   triggers, so they are written at COMMIT whoever made the change. `sequence` is numbered per tenant from
 *   `event_counters`, whose row is taken last and held to COMMIT, so it increases in commit order.
 *   A transaction.posted event stores the transaction's id, not a copy (event_data renders it).
 * - `webhook_endpoints`, `webhook_deliveries` (one per endpoint and event, claimed by the dispatchers of every
 *   replica with FOR UPDATE SKIP LOCKED and a lease) and `webhook_attempts` (each attempt's outcome).
 */
export class EventsAndWebhooks1764600000000 implements MigrationInterface {
  name = 'EventsAndWebhooks1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const types = EVENT_TYPES.map((type) => `'${type}'`).join(', ');
    await queryRunner.query(`
      CREATE TABLE event_counters (
        tenant_id     text PRIMARY KEY,
        last_sequence bigint NOT NULL CHECK (last_sequence > 0)
      )`);
    await queryRunner.query(`
      CREATE TABLE events (
        tenant_id      text NOT NULL,
        sequence       bigint NOT NULL CHECK (sequence > 0),
        id             uuid NOT NULL,
        type           text NOT NULL CHECK (type IN (${types})),
        created_at     timestamptz NOT NULL,
        -- the wallets it concerns (GET /v1/events?walletId=): a transfer's two, a wallet's or a hold's one
        wallet_id       uuid,
        other_wallet_id uuid,
        transaction_id  uuid REFERENCES transactions (id),
        data            jsonb CHECK (jsonb_typeof(data) = 'object'),
        PRIMARY KEY (tenant_id, sequence),
        CONSTRAINT events_id_key UNIQUE (id),
        -- a transaction.posted event names its transaction and stores nothing else; every other event its data
        CONSTRAINT events_transaction_or_data CHECK (
          CASE WHEN type = 'transaction.posted' THEN transaction_id IS NOT NULL AND data IS NULL
               ELSE transaction_id IS NULL AND data IS NOT NULL END)
      )`);
    // events are never rewritten (retention may delete old ones)
    await queryRunner.query(`
      CREATE TRIGGER events_never_change BEFORE UPDATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change()`);

    await queryRunner.query(`
      CREATE TABLE webhook_endpoints (
        id                 uuid PRIMARY KEY,
        tenant_id          text NOT NULL,
        url                text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
        event_types        text[] NOT NULL DEFAULT '{}' CHECK (event_types <@ ARRAY[${types}]::text[]),
        status             text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
        description        text CHECK (length(description) <= 500),
        secret             text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/=]{32,}$'),
        -- the tenant's events up to here have been fanned out into deliveries for this endpoint
        fanned_out_through bigint NOT NULL CHECK (fanned_out_through >= 0),
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL,
        CONSTRAINT webhook_endpoints_id_tenant_key UNIQUE (id, tenant_id)
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at, id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id               uuid PRIMARY KEY,
        tenant_id        text NOT NULL,
        endpoint_id      uuid NOT NULL,
        event_sequence   bigint NOT NULL,
        status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        -- when a dispatcher may take it next: due, retrying later, or leased to the dispatcher sending it now
        next_attempt_at  timestamptz NOT NULL,
        created_at       timestamptz NOT NULL,
        delivered_at     timestamptz,
        last_status_code integer,
        last_error       text,
        CONSTRAINT webhook_deliveries_endpoint_fk FOREIGN KEY (endpoint_id, tenant_id)
          REFERENCES webhook_endpoints (id, tenant_id) ON DELETE CASCADE,
        CONSTRAINT webhook_deliveries_event_fk FOREIGN KEY (tenant_id, event_sequence) REFERENCES events (tenant_id, sequence),
        CONSTRAINT webhook_deliveries_once_per_event UNIQUE (endpoint_id, event_sequence),
        CONSTRAINT webhook_deliveries_delivered_when CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (tenant_id, event_sequence)`);
    await queryRunner.query(`
      CREATE TABLE webhook_attempts (
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt     integer NOT NULL CHECK (attempt > 0),
        started_at  timestamptz NOT NULL,
        duration_ms integer NOT NULL CHECK (duration_ms >= 0),
        status_code integer CHECK (status_code BETWEEN 100 AND 599),
        error       text CHECK (length(error) <= 500),
        PRIMARY KEY (delivery_id, attempt)
      )`);

    for (const name of CREATED) await queryRunner.query(migrationSql(VERSION, name));
    for (const name of REPLACED) await queryRunner.query(migrationSql(VERSION, name));
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER wallets_created_event AFTER INSERT ON wallets
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallet_event()`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER wallets_updated_event AFTER UPDATE OF status, overdraft_limit, metadata ON wallets
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.overdraft_limit IS DISTINCT FROM NEW.overdraft_limit
              OR OLD.metadata IS DISTINCT FROM NEW.metadata)
        EXECUTE FUNCTION wallet_event()`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER holds_expired_event AFTER UPDATE OF status ON holds
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.status = 'expired' AND OLD.status <> 'expired')
        EXECUTE FUNCTION hold_expired_event()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER holds_expired_event ON holds`);
    await queryRunner.query(`DROP TRIGGER wallets_updated_event ON wallets`);
    await queryRunner.query(`DROP TRIGGER wallets_created_event ON wallets`);
    // The group-posting copy is already a CREATE OR REPLACE statement.
    for (const name of REPLACED) await queryRunner.query(migrationSql('1764500000000', name));
    for (const name of [...CREATED].reverse()) await queryRunner.query(`DROP FUNCTION ${name}`);
    await queryRunner.query(`DROP TABLE webhook_attempts`);
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhook_endpoints`);
    await queryRunner.query(`DROP TABLE events`);
    await queryRunner.query(`DROP TABLE event_counters`);
  }
}
