-- Secrets an instance generates for itself on first run, such as the key of
-- the log pseudonyms. Kept in the database so that every process sharing it
-- uses the same ones; the first process to start writes them.
CREATE TABLE instance_secrets (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
