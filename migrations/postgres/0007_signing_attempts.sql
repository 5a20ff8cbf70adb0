-- Confirmations that reached the database, kept for a day, so that the limit
-- on signing attempts per person holds across restarts and processes. Rows
-- go when a day old, and with a withdrawal.
CREATE TABLE signing_attempts (
    campaign         TEXT    NOT NULL,
    platform         TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX signing_attempts_by_identity ON signing_attempts (campaign, platform, platform_user_id, at);
CREATE INDEX signing_attempts_by_time ON signing_attempts (at);
