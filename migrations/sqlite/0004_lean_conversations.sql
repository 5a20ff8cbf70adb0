-- Conversation state is written at every step of every signing, so its
-- table is kept lean: clustered on its key (no separate rowid tree), and
-- without the index on age, since the hourly clean-up can afford to scan a
-- table that only holds conversations in progress.
CREATE TABLE conversations_lean (
    platform         TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (platform, platform_user_id)
) WITHOUT ROWID;
INSERT INTO conversations_lean SELECT platform, platform_user_id, state, updated_at FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_lean RENAME TO conversations;
