/**
 * Headquarters' PostgreSQL schema: numbered, append-only migrations, each in one transaction with its
 * number recorded in `hq_schema`. Never edit a released migration; add the next one.
 */
export interface HqMigration {
  version: number;
  name: string;
  sql: string;
}

export const HQ_MIGRATIONS: readonly HqMigration[] = [
  {
    version: 1,
    name: 'counters, events (partitioned by month), projections, operators, snapshots',
    sql: `
      CREATE TABLE counters (
        id SERIAL PRIMARY KEY,
        store TEXT NOT NULL,
        lane TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        -- The counter's HMAC key, encrypted with headquarters' master key (AES-256-GCM, base64).
        key_cipher TEXT NOT NULL,
        revoked_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_contact_at TIMESTAMPTZ,
        -- Highest event id held with nothing missing below it; highest day-report rowid held.
        hwm BIGINT NOT NULL DEFAULT 0,
        day_rowid BIGINT NOT NULL DEFAULT 0,
        backlog BIGINT NOT NULL DEFAULT 0,
        last_event_at BIGINT,
        UNIQUE (store, lane)
      );

      -- Every counter event, once: (counter, event id) is the idempotency key. Partitioned by the
      -- event's month so old months stay untouched and can be detached or archived.
      CREATE TABLE events (
        counter_id INTEGER NOT NULL REFERENCES counters (id),
        event_id BIGINT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        entity TEXT NOT NULL,
        entity_id BIGINT,
        type TEXT NOT NULL,
        actor TEXT,
        data JSONB NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (counter_id, event_id, at)
      ) PARTITION BY RANGE (at);

      CREATE TABLE payments (
        counter_id INTEGER NOT NULL REFERENCES counters (id),
        local_id BIGINT NOT NULL,
        as_of BIGINT NOT NULL,
        trade_no TEXT NOT NULL,
        mode TEXT NOT NULL,
        tender TEXT,
        gateway TEXT,
        status TEXT NOT NULL,
        amount_fen BIGINT NOT NULL,
        pay_type TEXT,
        operator TEXT,
        business_day TEXT NOT NULL,
        created_at BIGINT,
        paid_at BIGINT,
        final_at BIGINT,
        row JSONB NOT NULL,
        projected_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (counter_id, local_id)
      );
      CREATE INDEX payments_day ON payments (mode, business_day, counter_id);
      CREATE INDEX payments_open ON payments (status) WHERE status IN ('created', 'qr_issued', 'waiting', 'unknown');

      CREATE TABLE refunds (
        counter_id INTEGER NOT NULL REFERENCES counters (id),
        local_id BIGINT NOT NULL,
        payment_local_id BIGINT NOT NULL,
        as_of BIGINT NOT NULL,
        refund_no TEXT NOT NULL,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        amount_fen BIGINT NOT NULL,
        business_day TEXT NOT NULL,
        final_at BIGINT,
        row JSONB NOT NULL,
        projected_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (counter_id, local_id)
      );
      CREATE INDEX refunds_day ON refunds (mode, business_day, counter_id);
      CREATE INDEX refunds_open ON refunds (status) WHERE status IN ('created', 'pending', 'unknown');

      -- Per counter and business day: activity seen and whether the counter closed the day.
      CREATE TABLE counter_days (
        counter_id INTEGER NOT NULL REFERENCES counters (id),
        mode TEXT NOT NULL,
        business_day TEXT NOT NULL,
        last_event_at BIGINT,
        closed_at BIGINT,
        report JSONB,
        PRIMARY KEY (counter_id, mode, business_day)
      );

      -- What headquarters found wrong: gaps in a counter's event ids, a frozen day report whose totals
      -- differ from the projection. Kept until someone marks them resolved.
      CREATE TABLE flags (
        id BIGSERIAL PRIMARY KEY,
        counter_id INTEGER REFERENCES counters (id),
        kind TEXT NOT NULL,
        mode TEXT,
        business_day TEXT,
        detail JSONB NOT NULL,
        at TIMESTAMPTZ NOT NULL DEFAULT now(),
        resolved_at TIMESTAMPTZ
      );
      CREATE UNIQUE INDEX flags_open ON flags (counter_id, kind, coalesce(mode, ''), coalesce(business_day, '')) WHERE resolved_at IS NULL;

      CREATE TABLE hq_operators (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until TIMESTAMPTZ,
        active BOOLEAN NOT NULL DEFAULT true
      );
      CREATE TABLE hq_sessions (
        token_hash TEXT PRIMARY KEY,
        operator TEXT NOT NULL REFERENCES hq_operators (code),
        expires_at TIMESTAMPTZ NOT NULL
      );

      -- What headquarters publishes to counters (pulled; the newest version wins).
      CREATE TABLE snapshots (
        version SERIAL PRIMARY KEY,
        body JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'order numbers carry the lane: chain-wide lookup, shared lanes and colliding numbers flagged',
    sql: `
      -- The lane code a counter puts in its order numbers (from its batches). Two counters of one store
      -- with the same order lane could make the same number: flagged as lane_shared.
      ALTER TABLE counters ADD COLUMN order_lane TEXT;
      -- Find a sale or refund by its order number across the chain; a number that two counters both
      -- used is kept under each (rows are per counter) and flagged as number_collision.
      CREATE INDEX payments_trade_no ON payments (trade_no);
      CREATE INDEX refunds_refund_no ON refunds (refund_no);
    `,
  },
];
