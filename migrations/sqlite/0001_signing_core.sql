-- Times are Unix milliseconds (UTC): compact, and compared as integers.

CREATE TABLE signatures (
    id                INTEGER PRIMARY KEY,
    campaign          TEXT    NOT NULL,
    platform          TEXT    NOT NULL,
    platform_user_id  TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    -- Normalised (lower-cased, provider dots and +tags removed); NULL when the
    -- campaign lets signers skip it.
    email             TEXT,
    postcode_district TEXT,
    country           TEXT,
    updates_opt_in    INTEGER NOT NULL CHECK (updates_opt_in IN (0, 1)),
    consent_version   INTEGER NOT NULL,
    consent_at        INTEGER NOT NULL,
    referral_code     TEXT,
    share_code        TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    CHECK ((postcode_district IS NULL) <> (country IS NULL)),
    UNIQUE (campaign, platform, platform_user_id),
    UNIQUE (campaign, share_code)
);

-- One signature per email address per campaign. NULLs never collide.
CREATE UNIQUE INDEX signatures_one_per_email ON signatures (campaign, email);
CREATE INDEX signatures_by_time ON signatures (campaign, created_at);

-- The running total, updated in the same transaction as every signature and
-- withdrawal, so reading it never counts rows.
CREATE TABLE campaign_totals (
    campaign TEXT    PRIMARY KEY,
    total    INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0)
);

-- Every consent wording a signature may refer to by version.
CREATE TABLE consent_wordings (
    campaign    TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    wording     TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (campaign, version)
);

-- Where each supporter is in the signing conversation, as the engine's JSON.
CREATE TABLE conversations (
    platform         TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (platform, platform_user_id)
);
CREATE INDEX conversations_by_age ON conversations (updated_at);
