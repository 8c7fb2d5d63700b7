-- Stock per sku: what is on hand and how much of it reservations hold. Never negative, and
-- never more held than on hand: the database refuses it even if the code tried.
CREATE TABLE stock (
    sku        TEXT PRIMARY KEY,
    on_hand    INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved   INTEGER NOT NULL CHECK (reserved >= 0),
    updated_at INTEGER NOT NULL,
    CHECK (reserved <= on_hand)
);

-- A reservation holds stock for one checkout until it is committed, released or expires.
CREATE TABLE reservations (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released', 'expired')),
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX reservations_held_by_expiry ON reservations (expires_at) WHERE state = 'held';

CREATE TABLE reservation_lines (
    reservation_id TEXT NOT NULL REFERENCES reservations (id),
    sku            TEXT NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, sku)
);
