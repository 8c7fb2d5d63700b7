-- Events to deliver to the functions subscribed to them, one row per function and event: the
-- consumer writes them and acks at once, so a slow or failing function never holds up the bus;
-- a worker runs them, retries with backoff, and leaves those that keep failing as dead.
CREATE TABLE event_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    function    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    -- The CloudEvents envelope, JSON.
    envelope    TEXT NOT NULL,
    -- pending, done or dead.
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    next_at_ms  INTEGER NOT NULL,
    last_error  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (function, event_id)
);
CREATE INDEX event_jobs_due ON event_jobs (next_at_ms) WHERE state = 'pending';
