-- Merchants' webhook endpoints: where the shop's events are sent, signed as Standard Webhooks
-- describes, and which of them.
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    -- JSON: the event types sent to it.
    event_types TEXT NOT NULL,
    -- whsec_ and the base64 of the signing key.
    secret      TEXT NOT NULL,
    description TEXT NOT NULL,
    -- A function that turns the event into the body sent; empty sends the event as it is.
    transform   TEXT NOT NULL,
    -- Off once the receiver answered 410 Gone.
    enabled     BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Each event to each endpoint: queued by the consumer, sent by the worker, retried with
-- backoff, dead after the last attempt; the delivery log.
CREATE TABLE webhook_deliveries (
    id           BIGSERIAL PRIMARY KEY,
    endpoint_id  TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    envelope     TEXT NOT NULL,
    -- pending, delivered or dead.
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    next_at_ms   BIGINT NOT NULL,
    -- The receiver's last HTTP status; 0 when it did not answer.
    last_status  BIGINT NOT NULL,
    last_error   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at_ms) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
