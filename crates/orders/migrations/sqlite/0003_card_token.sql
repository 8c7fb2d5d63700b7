-- The token of the card a checkout pays with, kept in the payments service's vault: a saga
-- resumed after a restart authorizes with it (the card itself is never stored here).
ALTER TABLE orders ADD COLUMN card_token TEXT NOT NULL DEFAULT '';
