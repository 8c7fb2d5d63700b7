-- What was sent, once per event.
CREATE TABLE sent_messages (
    event_id  TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject   TEXT NOT NULL,
    sent_at   BIGINT NOT NULL
);
