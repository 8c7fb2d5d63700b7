-- Orders and their saga state, saved after every step so that a restart resumes them.
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    state            TEXT NOT NULL,
    lines            TEXT NOT NULL,
    total_minor      INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    address          TEXT NOT NULL,
    weight_grams     INTEGER NOT NULL,
    payment_id       TEXT NOT NULL,
    shipment_id      TEXT NOT NULL,
    failure_reason   TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (user_id, idempotency_key)
);

CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE INDEX orders_unfinished ON orders (state) WHERE state NOT IN ('confirmed', 'failed');

-- Every state an order went through, for its history and for watchers.
CREATE TABLE order_states (
    order_id TEXT NOT NULL REFERENCES orders (id),
    position INTEGER NOT NULL,
    state    TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (order_id, position)
);
