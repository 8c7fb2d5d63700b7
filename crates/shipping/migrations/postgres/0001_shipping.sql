-- Shipments, one per order at most, and what the carrier said about each.
CREATE TABLE shipments (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL UNIQUE,
    tracking_number TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('created', 'in_transit', 'delivered', 'cancelled')),
    cost_minor      BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    address         TEXT NOT NULL,
    weight_grams    BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE INDEX shipments_moving ON shipments (state, updated_at);

CREATE TABLE tracking_events (
    shipment_id TEXT NOT NULL REFERENCES shipments (id),
    position    BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (shipment_id, position)
);
