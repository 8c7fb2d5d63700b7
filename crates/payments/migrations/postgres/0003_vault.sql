-- The card vault: a card kept for an authorization still to come, encrypted with the vault key
-- (AES-256-GCM; `sealed` is the nonce and ciphertext, base64). A row is erased once its
-- payment is captured, voided or declined, and after a day unused.
CREATE TABLE vault_cards (
    token      TEXT PRIMARY KEY,
    sealed     TEXT NOT NULL,
    card_last4 TEXT NOT NULL,
    payment_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE INDEX vault_cards_by_payment ON vault_cards (payment_id);
CREATE INDEX vault_cards_created ON vault_cards (created_at);
