/**
 * Numbered, append-only migrations. Never edit a released migration: add the next one. Each runs in
 * one transaction together with the `user_version` bump, and each has its own test
 * (test/node/ledger-migrations.test.ts).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * The migration rebuilds a table other tables reference (SQLite's "create new, copy, drop, rename"):
   * foreign keys are switched off around its transaction, and `PRAGMA foreign_key_check` must come
   * back empty before it commits.
   */
  rebuildsTables?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'settings, secrets and the append-only event log',
    sql: `
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        cipher TEXT NOT NULL,
        ciphertext BLOB NOT NULL,
        suffix TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        entity TEXT NOT NULL,
        entity_id INTEGER,
        type TEXT NOT NULL,
        actor TEXT,
        data TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX events_entity ON events (entity, entity_id, id);

      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'payments and refunds',
    sql: `
      -- One row per payment attempt. trade_no is our unique order number sent as BPC tradeNo (or the
      -- card order number); it is written before any request leaves. Money is integer fen.
      CREATE TABLE payments (
        id INTEGER PRIMARY KEY,
        trade_no TEXT NOT NULL UNIQUE,
        mer_order_no TEXT,
        memo TEXT,
        mode TEXT NOT NULL CHECK (mode IN ('training', 'live')),
        tender TEXT NOT NULL CHECK (tender IN ('qr', 'card')),
        gateway TEXT NOT NULL,
        amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
        status TEXT NOT NULL CHECK (status IN ('created', 'qr_issued', 'waiting', 'paid', 'failed', 'closed', 'unknown')),
        pay_type TEXT,
        sys_trace TEXT UNIQUE,
        scan_code TEXT,
        qr_expires_at INTEGER,
        resp_code TEXT,
        resp_msg TEXT,
        operator TEXT,
        business_day TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sent_at INTEGER,
        paid_at INTEGER,
        final_at INTEGER,
        close_requested_at INTEGER,
        query_count INTEGER NOT NULL DEFAULT 0,
        next_query_at INTEGER,
        resolution TEXT,
        resolved_by TEXT
      ) STRICT;
      CREATE INDEX payments_day ON payments (mode, business_day, id);
      CREATE INDEX payments_open ON payments (status) WHERE status IN ('created', 'qr_issued', 'waiting', 'unknown');
      CREATE INDEX payments_mer_order ON payments (mer_order_no) WHERE mer_order_no IS NOT NULL;

      -- One row per refund attempt; refund_no is our unique refund order number (BPC tradeNo of R).
      CREATE TABLE refunds (
        id INTEGER PRIMARY KEY,
        refund_no TEXT NOT NULL UNIQUE,
        payment_id INTEGER NOT NULL REFERENCES payments (id),
        mode TEXT NOT NULL CHECK (mode IN ('training', 'live')),
        amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
        status TEXT NOT NULL CHECK (status IN ('created', 'pending', 'succeeded', 'failed', 'unknown')),
        sys_trace TEXT UNIQUE,
        resp_code TEXT,
        resp_msg TEXT,
        reason TEXT NOT NULL DEFAULT '',
        operator TEXT,
        approved_by TEXT,
        business_day TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sent_at INTEGER,
        final_at INTEGER,
        query_count INTEGER NOT NULL DEFAULT 0,
        next_query_at INTEGER
      ) STRICT;
      CREATE INDEX refunds_payment ON refunds (payment_id);
      CREATE INDEX refunds_day ON refunds (mode, business_day, id);
      CREATE INDEX refunds_open ON refunds (status) WHERE status IN ('created', 'pending', 'unknown');
    `,
  },
  {
    version: 3,
    name: 'operators and closed-day reports',
    sql: `
      CREATE TABLE operators (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('cashier', 'supervisor', 'manager')),
        pin_hash TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        active INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE shifts (
        id INTEGER PRIMARY KEY,
        operator TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('training', 'live')),
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        report TEXT
      ) STRICT;
      CREATE INDEX shifts_operator ON shifts (operator, started_at);

      -- A closed day is frozen: its report is stored once and the table refuses changes.
      CREATE TABLE day_reports (
        mode TEXT NOT NULL CHECK (mode IN ('training', 'live')),
        business_day TEXT NOT NULL,
        closed_at INTEGER NOT NULL,
        closed_by TEXT NOT NULL,
        override_by TEXT,
        override_reason TEXT,
        report TEXT NOT NULL,
        PRIMARY KEY (mode, business_day)
      ) STRICT;
      CREATE TRIGGER day_reports_no_update BEFORE UPDATE ON day_reports
        BEGIN SELECT RAISE(ABORT, 'a closed day is immutable'); END;
      CREATE TRIGGER day_reports_no_delete BEFORE DELETE ON day_reports
        BEGIN SELECT RAISE(ABORT, 'a closed day is immutable'); END;
    `,
  },
  {
    version: 4,
    name: 'sync state for headquarters',
    sql: `
      -- Per sync target (headquarters): what it has acknowledged. The event log itself is the outbox.
      CREATE TABLE sync_state (
        target TEXT PRIMARY KEY,
        acked_event_id INTEGER NOT NULL DEFAULT 0,
        acked_day_rowid INTEGER NOT NULL DEFAULT 0,
        last_ok_at INTEGER,
        last_attempt_at INTEGER,
        last_error TEXT,
        snapshot_version INTEGER NOT NULL DEFAULT 0,
        snapshot_applied_at INTEGER
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: "the wallet's own transaction number on payments",
    sql: `
      -- WeChat oldTradeId / Alipay oldTradeNo / UnionPay oldPayVounum from a bound G answer: what the
      -- customer sees in the wallet app, so the refund desk can find the sale by it.
      ALTER TABLE payments ADD COLUMN wallet_trade_no TEXT;
      CREATE INDEX payments_wallet_trade ON payments (wallet_trade_no) WHERE wallet_trade_no IS NOT NULL;
    `,
  },
  {
    version: 6,
    name: 'gateway-neutral references, lanes and request serials',
    rebuildsTables: true,
    sql: `
      -- Payments, rebuilt: gateway_ref is the gateway's own reference for the sale, whatever the
      -- gateway (BPC sysTrace, the card terminal's terminal-batch-voucher-reference, Yima's order
      -- reference), unique per gateway. sys_trace stays readable as an alias of it (read-only).
      -- gateway_detail is the gateway's masked detail (JSON; never a full card number); request_seq
      -- the serial of the create request for gateways that need one per request (Yima pos_seq).
      -- tender 'cash' is allowed for the cash tender to come (nothing writes it yet).
      CREATE TABLE payments_v6 (
        id INTEGER PRIMARY KEY,
        trade_no TEXT NOT NULL UNIQUE,
        mer_order_no TEXT,
        memo TEXT,
        mode TEXT NOT NULL CHECK (mode IN ('training', 'live')),
        tender TEXT NOT NULL CHECK (tender IN ('qr', 'card', 'cash')),
        gateway TEXT NOT NULL CHECK (gateway <> ''),
        amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
        status TEXT NOT NULL CHECK (status IN ('created', 'qr_issued', 'waiting', 'paid', 'failed', 'closed', 'unknown')),
        pay_type TEXT,
        gateway_ref TEXT CHECK (gateway_ref <> ''),
        sys_trace TEXT GENERATED ALWAYS AS (gateway_ref) VIRTUAL,
        gateway_detail TEXT CHECK (gateway_detail IS NULL OR json_valid(gateway_detail)),
        request_seq TEXT,
        scan_code TEXT,
        qr_expires_at INTEGER,
        resp_code TEXT,
        resp_msg TEXT,
        operator TEXT,
        business_day TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sent_at INTEGER,
        paid_at INTEGER,
        final_at INTEGER,
        close_requested_at INTEGER,
        query_count INTEGER NOT NULL DEFAULT 0,
        next_query_at INTEGER,
        resolution TEXT,
        resolved_by TEXT,
        wallet_trade_no TEXT
      ) STRICT;
      INSERT INTO payments_v6 (id, trade_no, mer_order_no, memo, mode, tender, gateway, amount_fen, status, pay_type, gateway_ref,
          scan_code, qr_expires_at, resp_code, resp_msg, operator, business_day, created_at, updated_at, sent_at, paid_at, final_at,
          close_requested_at, query_count, next_query_at, resolution, resolved_by, wallet_trade_no)
        SELECT id, trade_no, mer_order_no, memo, mode, tender, COALESCE(NULLIF(gateway, ''), CASE tender WHEN 'card' THEN 'terminal' ELSE 'bpc' END),
          amount_fen, status, pay_type, NULLIF(sys_trace, ''),
          scan_code, qr_expires_at, resp_code, resp_msg, operator, business_day, created_at, updated_at, sent_at, paid_at, final_at,
          close_requested_at, query_count, next_query_at, resolution, resolved_by, wallet_trade_no
        FROM payments ORDER BY id;
      DROP TABLE payments;
      ALTER TABLE payments_v6 RENAME TO payments;
      CREATE INDEX payments_day ON payments (mode, business_day, id);
      CREATE INDEX payments_open ON payments (status) WHERE status IN ('created', 'qr_issued', 'waiting', 'unknown');
      CREATE INDEX payments_mer_order ON payments (mer_order_no) WHERE mer_order_no IS NOT NULL;
      CREATE INDEX payments_wallet_trade ON payments (wallet_trade_no) WHERE wallet_trade_no IS NOT NULL;
      -- Reference first: the refund desk looks a trace up whatever the gateway; unique per gateway.
      CREATE UNIQUE INDEX payments_gateway_ref ON payments (gateway_ref, gateway) WHERE gateway_ref IS NOT NULL;
      CREATE UNIQUE INDEX payments_request_seq ON payments (gateway, request_seq) WHERE request_seq IS NOT NULL;

      -- Refunds, rebuilt the same way; a refund goes through its payment's gateway.
      CREATE TABLE refunds_v6 (
        id INTEGER PRIMARY KEY,
        refund_no TEXT NOT NULL UNIQUE,
        payment_id INTEGER NOT NULL REFERENCES payments (id),
        mode TEXT NOT NULL CHECK (mode IN ('training', 'live')),
        -- The app refunds through BPC only so far (card sales are refunded on the terminal).
        gateway TEXT NOT NULL DEFAULT 'bpc' CHECK (gateway <> ''),
        amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
        status TEXT NOT NULL CHECK (status IN ('created', 'pending', 'succeeded', 'failed', 'unknown')),
        gateway_ref TEXT CHECK (gateway_ref <> ''),
        sys_trace TEXT GENERATED ALWAYS AS (gateway_ref) VIRTUAL,
        gateway_detail TEXT CHECK (gateway_detail IS NULL OR json_valid(gateway_detail)),
        request_seq TEXT,
        resp_code TEXT,
        resp_msg TEXT,
        reason TEXT NOT NULL DEFAULT '',
        operator TEXT,
        approved_by TEXT,
        business_day TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sent_at INTEGER,
        final_at INTEGER,
        query_count INTEGER NOT NULL DEFAULT 0,
        next_query_at INTEGER
      ) STRICT;
      INSERT INTO refunds_v6 (id, refund_no, payment_id, mode, gateway, amount_fen, status, gateway_ref, resp_code, resp_msg, reason,
          operator, approved_by, business_day, created_at, updated_at, sent_at, final_at, query_count, next_query_at)
        SELECT r.id, r.refund_no, r.payment_id, r.mode, COALESCE(NULLIF(p.gateway, ''), 'bpc'), r.amount_fen, r.status, NULLIF(r.sys_trace, ''),
          r.resp_code, r.resp_msg, r.reason, r.operator, r.approved_by, r.business_day, r.created_at, r.updated_at, r.sent_at,
          r.final_at, r.query_count, r.next_query_at
        FROM refunds r LEFT JOIN payments p ON p.id = r.payment_id ORDER BY r.id;
      DROP TABLE refunds;
      ALTER TABLE refunds_v6 RENAME TO refunds;
      CREATE INDEX refunds_payment ON refunds (payment_id);
      CREATE INDEX refunds_day ON refunds (mode, business_day, id);
      CREATE INDEX refunds_open ON refunds (status) WHERE status IN ('created', 'pending', 'unknown');
      CREATE UNIQUE INDEX refunds_gateway_ref ON refunds (gateway_ref, gateway) WHERE gateway_ref IS NOT NULL;
      CREATE UNIQUE INDEX refunds_request_seq ON refunds (gateway, request_seq) WHERE request_seq IS NOT NULL;

      -- Every request serial a gateway was (or is about to be) sent, reserved here before the request
      -- leaves: never reused, even when the request's answer was lost. last_seq is per gateway.
      CREATE TABLE gateway_requests (
        id INTEGER PRIMARY KEY,
        gateway TEXT NOT NULL CHECK (gateway <> ''),
        seq TEXT NOT NULL,
        purpose TEXT NOT NULL,
        payment_id INTEGER REFERENCES payments (id),
        refund_id INTEGER REFERENCES refunds (id),
        reserved_at INTEGER NOT NULL,
        UNIQUE (gateway, seq)
      ) STRICT;
      CREATE INDEX gateway_requests_payment ON gateway_requests (payment_id) WHERE payment_id IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: "the gateway's own order id on payments, indexed",
    sql: `
      -- A "paid" naming a gateway order id (Yima's order_id) already recorded on another sale is not taken
      -- (one card payment settles one sale). That lookup runs on every paid answer: without this index it
      -- read every payment's detail, a stall on a ledger of a million sales. The filter (also in the lookup)
      -- leaves out sales with no detail; the table's CHECK already keeps anything else that is not JSON out.
      CREATE INDEX payments_gateway_order_id ON payments (gateway, json_extract(gateway_detail, '$.orderId')) WHERE json_valid(gateway_detail);
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
