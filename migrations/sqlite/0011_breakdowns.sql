-- Counted signatures per platform, postcode district, country, referral
-- code and UTC day (`YYYY-MM-DD`), kept in step with the signatures in the
-- same transactions as `campaign_totals`, so `stats` reads a few hundred
-- counters instead of grouping every signature. `recount` rebuilds them.
-- A counter brought down to zero may stay; readers skip it. No CHECK on
-- `count`: a withdrawal adds -1 through the same upsert, and a proposed
-- row of -1 would trip it before the conflict turns it into an update.
CREATE TABLE campaign_breakdowns (
    campaign  TEXT    NOT NULL,
    dimension TEXT    NOT NULL CHECK (dimension IN ('platform', 'district', 'country', 'referral', 'day')),
    label     TEXT    NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (campaign, dimension, label)
) WITHOUT ROWID;

INSERT INTO campaign_breakdowns (campaign, dimension, label, count)
SELECT campaign, 'platform', platform, COUNT(*) FROM signatures
 WHERE status = 'counted' GROUP BY campaign, platform
UNION ALL
SELECT campaign, 'district', postcode_district, COUNT(*) FROM signatures
 WHERE status = 'counted' AND postcode_district IS NOT NULL GROUP BY campaign, postcode_district
UNION ALL
SELECT campaign, 'country', country, COUNT(*) FROM signatures
 WHERE status = 'counted' AND country IS NOT NULL GROUP BY campaign, country
UNION ALL
SELECT campaign, 'referral', referral_code, COUNT(*) FROM signatures
 WHERE status = 'counted' AND referral_code IS NOT NULL GROUP BY campaign, referral_code
UNION ALL
SELECT campaign, 'day', date(created_at / 1000, 'unixepoch'), COUNT(*) FROM signatures
 WHERE status = 'counted' GROUP BY campaign, date(created_at / 1000, 'unixepoch');
