-- Payments as the processor keeps them.
CREATE TABLE payments (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL,
    amount_minor   BIGINT NOT NULL CHECK (amount_minor > 0),
    currency       TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('authorized', 'captured', 'voided', 'refunded', 'declined')),
    card_last4     TEXT NOT NULL,
    decline_reason TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE INDEX payments_by_order ON payments (order_id);

-- Idempotency keys: the same key and request get the first answer again; kept at least a day.
CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- The double-entry ledger: every movement is two or more entries that sum to zero.
CREATE TABLE ledger_entries (
    id           TEXT PRIMARY KEY,
    movement_id  TEXT NOT NULL,
    payment_id   TEXT NOT NULL,
    account      TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX ledger_by_payment ON ledger_entries (payment_id);
