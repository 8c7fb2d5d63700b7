-- The co-purchase graph as adjacency rows, in both directions: how many confirmed orders held
-- both products. Its heaviest neighbours are read by the index.
CREATE TABLE co_purchases (
    sku       TEXT NOT NULL,
    other_sku TEXT NOT NULL,
    weight    BIGINT NOT NULL,
    PRIMARY KEY (sku, other_sku)
);

CREATE INDEX co_purchases_heaviest ON co_purchases (sku, weight DESC, other_sku);

-- Each product's weight over all its neighbours (the sum of its rows above), kept beside them so
-- that a walk reads a neighbour's share without summing its edges.
CREATE TABLE co_purchase_totals (
    sku   TEXT PRIMARY KEY,
    total BIGINT NOT NULL
);

-- What each user bought, for "for you".
CREATE TABLE user_products (
    user_id TEXT NOT NULL,
    sku     TEXT NOT NULL,
    orders  BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, sku)
);

CREATE INDEX user_products_recent ON user_products (user_id, last_at DESC);

-- Confirmed orders per product per day (days since the epoch), for "popular" over a window.
CREATE TABLE daily_sales (
    sku    TEXT NOT NULL,
    day    BIGINT NOT NULL,
    orders BIGINT NOT NULL,
    PRIMARY KEY (sku, day)
);

CREATE INDEX daily_sales_by_day ON daily_sales (day);
