-- Signatures can be held for review (not counted) or invalidated.
ALTER TABLE signatures ADD COLUMN status TEXT NOT NULL DEFAULT 'counted'
    CHECK (status IN ('counted', 'held', 'invalidated'));
ALTER TABLE signatures ADD COLUMN hold_reason TEXT;
-- The part of the email after @, for velocity checks and selections.
ALTER TABLE signatures ADD COLUMN email_domain TEXT;
UPDATE signatures SET email_domain = split_part(email, '@', 2) WHERE email IS NOT NULL;
CREATE INDEX signatures_by_status ON signatures (campaign, status);

-- Held signatures are counted apart from the public total.
ALTER TABLE campaign_totals ADD COLUMN held BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0);

-- Velocity thresholds crossed: one row per campaign, dimension, value and hour.
CREATE TABLE anomalies (
    campaign    TEXT        NOT NULL,
    dimension   TEXT        NOT NULL,
    value       TEXT        NOT NULL,
    hour        BIGINT      NOT NULL,
    count       BIGINT      NOT NULL,
    threshold   BIGINT      NOT NULL,
    detected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign, dimension, value, hour)
);

-- Who did what to the signatures, and when.
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign       TEXT        NOT NULL,
    actor_platform TEXT        NOT NULL,
    actor_user_id  TEXT        NOT NULL,
    action         TEXT        NOT NULL,
    detail         TEXT        NOT NULL,
    affected       BIGINT      NOT NULL,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_by_campaign ON audit_log (campaign, at);
