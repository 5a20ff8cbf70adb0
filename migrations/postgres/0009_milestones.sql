-- The goal organisers set with `goal N`, in place of the configured one.
CREATE TABLE campaign_goals (
    campaign TEXT   NOT NULL PRIMARY KEY,
    goal     BIGINT NOT NULL CHECK (goal > 0),
    set_at   TIMESTAMPTZ NOT NULL
);

-- How far each campaign's total had gone when its milestones were last
-- looked for: a milestone at or below it is never claimed again, so one
-- passed before milestones were counted, or before the goal moved, is not
-- announced late.
CREATE TABLE milestone_marks (
    campaign TEXT   NOT NULL PRIMARY KEY,
    reached  BIGINT NOT NULL
);

-- Each milestone reached, claimed by whichever process saw it first: the
-- primary key makes the claim happen once across restarts and processes.
CREATE TABLE milestones (
    campaign   TEXT   NOT NULL,
    signatures BIGINT NOT NULL,
    goal       BIGINT NOT NULL,
    reached_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign, signatures)
);

-- A milestone's announcement in one chat: pending, then posting while a
-- process posts it, then posted (or failed). One left posting by a process
-- that went away becomes unknown and is never posted again: it may have
-- been posted already.
CREATE TABLE milestone_announcements (
    campaign   TEXT   NOT NULL,
    signatures BIGINT NOT NULL,
    platform   TEXT   NOT NULL,
    chat       TEXT   NOT NULL,
    state      TEXT   NOT NULL CHECK (state IN ('pending', 'posting', 'posted', 'failed', 'unknown')),
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign, signatures, platform, chat)
);
CREATE INDEX milestone_announcements_by_state ON milestone_announcements (platform, state);

-- The progress message in each announcement chat. message_id is NULL until
-- it is posted (or after `progress here` asks for a new one); next_turn_at
-- is the earliest any process may post or edit in the chat again, claimed
-- with a conditional update so only one does.
CREATE TABLE progress_messages (
    campaign     TEXT   NOT NULL,
    platform     TEXT   NOT NULL,
    chat         TEXT   NOT NULL,
    message_id   TEXT,
    shown_total  BIGINT,
    shown_goal   BIGINT,
    next_turn_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign, platform, chat)
);
