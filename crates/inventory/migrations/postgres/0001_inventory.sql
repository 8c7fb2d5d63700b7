-- Stock per sku: what is on hand and how much of it reservations hold. Never negative, and
-- never more held than on hand: the database refuses it even if the code tried.
CREATE TABLE stock (
    sku        TEXT PRIMARY KEY,
    on_hand    BIGINT NOT NULL CHECK (on_hand >= 0),
    reserved   BIGINT NOT NULL CHECK (reserved >= 0),
    updated_at BIGINT NOT NULL,
    CHECK (reserved <= on_hand)
);

-- A reservation holds stock for one checkout until it is committed, released or expires.
CREATE TABLE reservations (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released', 'expired')),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX reservations_held_by_expiry ON reservations (expires_at) WHERE state = 'held';

CREATE TABLE reservation_lines (
    reservation_id TEXT NOT NULL REFERENCES reservations (id),
    sku            TEXT NOT NULL,
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, sku)
);
