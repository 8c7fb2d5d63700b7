-- Categories and products, with an FTS5 index kept in step by triggers.
CREATE TABLE categories (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE products (
    sku         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL REFERENCES categories (slug),
    price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
    currency    TEXT NOT NULL,
    image_urls  TEXT NOT NULL CHECK (json_valid(image_urls)),
    attributes  TEXT NOT NULL CHECK (json_valid(attributes)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX products_by_category ON products (category, sku);

CREATE VIRTUAL TABLE products_fts USING fts5 (
    name, description, category,
    content = 'products', content_rowid = 'rowid',
    tokenize = 'porter unicode61'
);

CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, name, description, category)
    VALUES (new.rowid, new.name, new.description, new.category);
END;

CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description, category)
    VALUES ('delete', old.rowid, old.name, old.description, old.category);
END;

CREATE TRIGGER products_fts_update AFTER UPDATE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description, category)
    VALUES ('delete', old.rowid, old.name, old.description, old.category);
    INSERT INTO products_fts (rowid, name, description, category)
    VALUES (new.rowid, new.name, new.description, new.category);
END;
