-- Functions and their immutable versions. A version names its module by digest; the module's
-- bytes are kept once however many versions (or functions) share them.
CREATE TABLE functions (
    name       TEXT PRIMARY KEY,
    -- JSON: [{"version": 2, "percent": 90}, ...], summing to 100 once a version exists.
    traffic    TEXT NOT NULL,
    -- JSON: {"edge": [{"phase", "path_prefix"}], "http": bool, "events": [types]}.
    triggers   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE function_versions (
    name       TEXT NOT NULL REFERENCES functions (name),
    version    INTEGER NOT NULL,
    digest     TEXT NOT NULL,
    -- JSON: sandbox::Limits and sandbox::Grants.
    limits     TEXT NOT NULL,
    grants     TEXT NOT NULL,
    note       TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE modules (
    digest     TEXT PRIMARY KEY,
    module     BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row: grows with every change to a deployment, so replicas and watchers see a change
-- by reading one number.
CREATE TABLE deployment_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO deployment_revision (id, revision) VALUES (1, 0);

-- Each function's key-value space (host calls kv_get and kv_set).
CREATE TABLE function_kv (
    function   TEXT NOT NULL,
    item_key   TEXT NOT NULL,
    item_value BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (function, item_key)
);

-- The latest invocations of each function, from every process that runs them; pruned to the
-- newest few thousand per function.
CREATE TABLE invocations (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    function           TEXT NOT NULL,
    version            INTEGER NOT NULL,
    triggered_by       TEXT NOT NULL,
    at_ms              INTEGER NOT NULL,
    duration_ms        REAL NOT NULL,
    fuel               INTEGER NOT NULL,
    peak_memory_bytes  INTEGER NOT NULL,
    memory_limit_bytes INTEGER NOT NULL,
    cold               INTEGER NOT NULL,
    fault_kind         TEXT NOT NULL,
    fault              TEXT NOT NULL,
    -- JSON: [{"level", "message"}].
    logs               TEXT NOT NULL,
    trace_id           TEXT NOT NULL,
    replica            TEXT NOT NULL
);
CREATE INDEX invocations_by_function ON invocations (function, id);
