-- Functions and their immutable versions. A version names its module by digest; the module's
-- bytes are kept once however many versions (or functions) share them.
CREATE TABLE functions (
    name       TEXT PRIMARY KEY,
    -- JSON: [{"version": 2, "percent": 90}, ...], summing to 100 once a version exists.
    traffic    TEXT NOT NULL,
    -- JSON: {"edge": [{"phase", "path_prefix"}], "http": bool, "events": [types]}.
    triggers   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE function_versions (
    name       TEXT NOT NULL REFERENCES functions (name),
    version    BIGINT NOT NULL,
    digest     TEXT NOT NULL,
    -- JSON: sandbox::Limits and sandbox::Grants.
    limits     TEXT NOT NULL,
    grants     TEXT NOT NULL,
    note       TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE modules (
    digest     TEXT PRIMARY KEY,
    module     BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row: grows with every change to a deployment, so replicas and watchers see a change
-- by reading one number.
CREATE TABLE deployment_revision (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO deployment_revision (id, revision) VALUES (1, 0);

-- Each function's key-value space (host calls kv_get and kv_set).
CREATE TABLE function_kv (
    function   TEXT NOT NULL,
    item_key   TEXT NOT NULL,
    item_value BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (function, item_key)
);

-- The latest invocations of each function, from every process that runs them; pruned to the
-- newest few thousand per function.
CREATE TABLE invocations (
    id                 BIGSERIAL PRIMARY KEY,
    function           TEXT NOT NULL,
    version            BIGINT NOT NULL,
    triggered_by       TEXT NOT NULL,
    at_ms              BIGINT NOT NULL,
    duration_ms        DOUBLE PRECISION NOT NULL,
    fuel               BIGINT NOT NULL,
    peak_memory_bytes  BIGINT NOT NULL,
    memory_limit_bytes BIGINT NOT NULL,
    cold               BOOLEAN NOT NULL,
    fault_kind         TEXT NOT NULL,
    fault              TEXT NOT NULL,
    -- JSON: [{"level", "message"}].
    logs               TEXT NOT NULL,
    trace_id           TEXT NOT NULL,
    replica            TEXT NOT NULL
);
CREATE INDEX invocations_by_function ON invocations (function, id);
