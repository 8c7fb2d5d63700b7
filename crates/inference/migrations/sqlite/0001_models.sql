-- The model registry: each model's versions, with what runs (the artefact), its checksum,
-- source and licence, its offline evaluation and its stage.
CREATE TABLE model_versions (
    model          TEXT NOT NULL,
    number         INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    artefact       TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    source         TEXT NOT NULL,
    licence        TEXT NOT NULL,
    -- JSON: [["ndcg@10", 0.93], ...].
    evaluation     TEXT NOT NULL,
    -- candidate, production or archived; one production version a model.
    stage          TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    promoted_at_ms INTEGER,
    PRIMARY KEY (model, number)
);

CREATE UNIQUE INDEX one_production_version ON model_versions (model) WHERE stage = 'production';

-- A model's canary (a candidate answering a share of requests) and shadow (a candidate that
-- sees requests and is only compared); 0 for none.
CREATE TABLE model_traffic (
    model               TEXT PRIMARY KEY,
    canary_version      INTEGER NOT NULL,
    canary_basis_points INTEGER NOT NULL,
    shadow_version      INTEGER NOT NULL,
    updated_at_ms       INTEGER NOT NULL
);
