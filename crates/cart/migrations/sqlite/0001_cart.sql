-- One row per user and sku; a cart is all of a user's rows.
CREATE TABLE cart_lines (
    user_id  TEXT NOT NULL,
    sku      TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, sku)
);
