-- When each bot last tried to connect to its platform, so start-up can back
-- off when a process is restarting in a loop (Discord allows 1,000 gateway
-- identifies a day and then resets the token).
CREATE TABLE connection_attempts (
    bot TEXT    NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX connection_attempts_by_bot ON connection_attempts (bot, at);
