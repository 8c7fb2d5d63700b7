-- The reference a production version's drift is measured against: its features' shares and
-- its embeddings' centroid over the first full window after its promotion.
CREATE TABLE drift_references (
    model        TEXT NOT NULL,
    version      INTEGER NOT NULL,
    -- JSON: {"features": {"words": [shares], ...}, "centroid": [values]}.
    reference    TEXT NOT NULL,
    taken_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (model, version)
);
