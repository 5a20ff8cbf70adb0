-- Conversation state is written at every step of every signing; without an
-- index on age its updates can stay on the same page (HOT updates), and the
-- hourly clean-up can afford to scan a table that only holds conversations
-- in progress.
DROP INDEX conversations_by_age;
