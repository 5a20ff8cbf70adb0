-- Updates to signers who asked for them, sent through a durable outbox.

-- Which wording of the updates question a signer answered. Signatures before
-- this migration answered the first wording ("occasional email updates");
-- new rows take the current one. A later change of the wording raises this
-- default in a migration of its own, with the constant in the catalogue.
ALTER TABLE signatures ADD COLUMN updates_wording INTEGER NOT NULL DEFAULT 2;
UPDATE signatures SET updates_wording = 1;

-- One row per update an organiser confirmed.
CREATE TABLE updates (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign         TEXT    NOT NULL,
    -- What the organiser wrote; the footer on how to stop is added on sending.
    text             TEXT    NOT NULL,
    author_platform  TEXT    NOT NULL,
    author_user_id   TEXT    NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'sending' CHECK (state IN ('sending', 'finished', 'cancelled')),
    finished_at      TIMESTAMPTZ,
    -- The organiser's progress message, once posted: edited in place.
    progress_message TEXT,
    -- Set once the summary has been posted, so it is posted once.
    summary_posted   BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX updates_by_state ON updates (state, id);

-- Every recipient of every update, with where its delivery stands. A row is
-- marked sending (committed) before the message goes out, so a sender that
-- dies leaves its sends in flight as sending, which the next sender records
-- as unknown rather than sending again.
CREATE TABLE update_deliveries (
    update_id        BIGINT  NOT NULL REFERENCES updates (id),
    platform         TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'unreachable', 'unknown', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- A transient failure is retried no earlier than this.
    not_before       TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
    PRIMARY KEY (update_id, platform, platform_user_id)
);
CREATE INDEX update_deliveries_waiting ON update_deliveries (update_id, platform, state, not_before);
CREATE INDEX update_deliveries_by_person ON update_deliveries (platform, platform_user_id);

-- Which process sends an update's messages on a platform, until when: only
-- the holder of an unexpired lease sends, so several processes on one
-- database never both send.
CREATE TABLE update_senders (
    update_id BIGINT  NOT NULL REFERENCES updates (id),
    platform  TEXT    NOT NULL,
    owner     TEXT    NOT NULL,
    until     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (update_id, platform)
);
