-- What happened to a campaign after it opened: closed (by an organiser, or
-- when its configured closing time passed), reopened, delivered, and its
-- signers anonymised. No row: as configured.
CREATE TABLE campaign_lifecycle (
    campaign      TEXT    NOT NULL PRIMARY KEY,
    -- NULL while open.
    closed_at     INTEGER,
    -- Reopened by an organiser: the configured closing time no longer applies.
    reopened      INTEGER NOT NULL DEFAULT 0 CHECK (reopened IN (0, 1)),
    -- The delivery pack was made; reopening is no longer possible.
    delivered_at  INTEGER,
    -- Signers were forgotten (see `anonymise_after_days`).
    anonymised_at INTEGER
);
