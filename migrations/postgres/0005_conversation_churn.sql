-- Every step of every signing rewrites its conversation row, so this table
-- is all churn: a few live rows and, between vacuums, many dead versions.
-- Half-empty pages leave room for each new version beside the old one (a HOT
-- update: no new index entry), and vacuuming after a fixed number of dead
-- rows, rather than a fraction of a table that stays small, keeps it from
-- bloating during a surge.
ALTER TABLE conversations SET (
    fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_cost_delay = 0
);
