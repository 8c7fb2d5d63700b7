-- Each product's vector per embedding model (`name@version`), little-endian f32, kept in the
-- transaction that changes the product. A deleted product keeps a row with no vector for a
-- while, so that every replica's index learns of the deletion from `changed_at_ms`.
CREATE TABLE product_vectors (
    model         TEXT NOT NULL,
    sku           TEXT NOT NULL,
    vector        BLOB,
    changed_at_ms INTEGER NOT NULL,
    PRIMARY KEY (model, sku)
);

CREATE INDEX product_vectors_by_change ON product_vectors (changed_at_ms);
