//! The breakdown counters (see [`crate::storage::breakdowns`]) as both
//! databases keep them, written once: adding to them, reading them for
//! `stats`, and rebuilding them from the signatures in a recount.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::{Connection, Dialect, Row, Sql, count};
use crate::storage::breakdowns::{COUNTRY, DAY, DISTRICT, PLATFORM, REFERRAL};
use crate::storage::breakdowns::{Deltas, Labels};
use crate::storage::{StorageError, StorageResult, Tally, db};

/// The columns a signature's labels are read from, for a statement's
/// `RETURNING` or `SELECT` list.
macro_rules! label_columns {
    () => {
        "platform, postcode_district, country, referral_code, created_at"
    };
}
pub(super) use label_columns;

/// The labels of campaign `campaign`'s signature in a row holding
/// [`label_columns!`].
pub(super) fn labels_of_row<'a, D: Dialect>(campaign: &'a str, row: &Row<D>) -> StorageResult<Labels<'a>> {
    Ok(Labels {
        campaign: Cow::Borrowed(campaign),
        platform: Cow::Owned(D::text(row, "platform")),
        district: D::maybe_text(row, "postcode_district").map(Cow::Owned),
        country: D::maybe_text(row, "country").map(Cow::Owned),
        referral: D::maybe_text(row, "referral_code").map(Cow::Owned),
        at: D::time(row, "created_at")?,
    })
}

/// Applies `deltas` in one statement; nothing when there are none.
pub(crate) async fn add_to_breakdowns<D: Dialect>(
    connection: &mut Connection<D>,
    deltas: &Deltas<'_>,
) -> StorageResult<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(&deltas.rows()).expect("rows of strings and numbers serialise");
    Sql::<D>::new(D::ADD_TO_BREAKDOWNS)
        .text(&rows)
        .execute(&mut *connection)
        .await
        .map_err(db("adjusting the breakdowns"))?;
    // A counter taken down to nothing goes: a withdrawn signer's district
    // must not stay on the disk under a count of zero. Only the campaigns
    // whose totals row this writer holds (see `Dialect::ADD_TO_BREAKDOWNS`).
    let mut lowered: Vec<&str> = deltas
        .rows()
        .into_iter()
        .filter(|(_, _, _, change)| *change < 0)
        .map(|(campaign, ..)| campaign)
        .collect();
    lowered.dedup();
    for campaign in lowered {
        Sql::<D>::new("DELETE FROM campaign_breakdowns WHERE campaign = $1 AND count <= 0")
            .text(campaign)
            .execute(&mut *connection)
            .await
            .map_err(db("clearing empty breakdowns"))?;
    }
    Ok(())
}

/// One dimension's counters of campaign $1, most first, ties by label (as
/// the grouping queries before them ordered them).
const BY_DIMENSION: &str = "SELECT label, count FROM campaign_breakdowns
     WHERE campaign = $1 AND dimension = $2 AND count > 0 ORDER BY count DESC, label";

/// The ten referral codes of campaign $1 that brought in most signatures.
const TOP_REFERRALS: &str = "SELECT label, count FROM campaign_breakdowns
     WHERE campaign = $1 AND dimension = 'referral' AND count > 0 ORDER BY count DESC, label LIMIT 10";

/// Campaign $1's days from $2 to $3 (`YYYY-MM-DD`, which sorts as text).
const DAYS: &str = "SELECT label, count FROM campaign_breakdowns
     WHERE campaign = $1 AND dimension = 'day' AND label >= $2 AND label <= $3 AND count > 0";

/// The counters behind `stats`: by platform, district and country, the
/// top referral codes, and the days from `since` to `until` (labels).
pub(super) struct Read {
    pub(super) by_platform: Vec<Tally>,
    pub(super) by_district: Vec<Tally>,
    pub(super) by_country: Vec<Tally>,
    pub(super) top_referral_codes: Vec<Tally>,
    pub(super) days: Vec<Tally>,
}

/// Reads campaign `campaign`'s counters (see [`Read`]).
pub(super) async fn read_breakdowns<D: Dialect>(
    connection: &mut Connection<D>,
    campaign: &str,
    since: &str,
    until: &str,
) -> StorageResult<Read> {
    let tallies = |rows: Vec<Row<D>>| -> Vec<Tally> {
        rows.iter()
            .map(|row| Tally::new(D::text(row, "label"), count::<D>(row, "count")))
            .collect()
    };
    let action = "reading the breakdowns";
    let mut by = Vec::with_capacity(3);
    for dimension in [PLATFORM, DISTRICT, COUNTRY] {
        let rows = Sql::<D>::new(BY_DIMENSION)
            .text(campaign)
            .text(dimension)
            .fetch_all(connection)
            .await
            .map_err(db(action))?;
        by.push(tallies(rows));
    }
    let top = Sql::<D>::new(TOP_REFERRALS)
        .text(campaign)
        .fetch_all(connection)
        .await
        .map_err(db(action))?;
    let days = Sql::<D>::new(DAYS)
        .text(campaign)
        .text(since)
        .text(until)
        .fetch_all(connection)
        .await
        .map_err(db(action))?;
    let [by_platform, by_district, by_country]: [Vec<Tally>; 3] = by.try_into().expect("three dimensions");
    Ok(Read {
        by_platform,
        by_district,
        by_country,
        top_referral_codes: tallies(top),
        days: tallies(days),
    })
}

/// Every campaign's breakdowns but the days, grouped from the counted
/// signatures (the days are `Dialect::COUNTED_BY_DAY`).
const COUNTED_BREAKDOWNS: &str = "
    SELECT campaign, 'platform' AS dimension, platform AS label, COUNT(*) AS count FROM signatures
     WHERE status = 'counted' GROUP BY campaign, platform
    UNION ALL
    SELECT campaign, 'district', postcode_district, COUNT(*) FROM signatures
     WHERE status = 'counted' AND postcode_district IS NOT NULL GROUP BY campaign, postcode_district
    UNION ALL
    SELECT campaign, 'country', country, COUNT(*) FROM signatures
     WHERE status = 'counted' AND country IS NOT NULL GROUP BY campaign, country
    UNION ALL
    SELECT campaign, 'referral', referral_code, COUNT(*) FROM signatures
     WHERE status = 'counted' AND referral_code IS NOT NULL GROUP BY campaign, referral_code";

/// A counter's key, owned.
type Key = (String, String, String);

async fn counters<D: Dialect>(
    connection: &mut Connection<D>,
    sql: &'static str,
    action: &'static str,
) -> StorageResult<HashMap<Key, i64>> {
    Ok(Sql::<D>::new(sql)
        .fetch_all(connection)
        .await
        .map_err(db(action))?
        .iter()
        .map(|row| {
            (
                (
                    D::text(row, "campaign"),
                    D::text(row, "dimension"),
                    D::text(row, "label"),
                ),
                D::int(row, "count"),
            )
        })
        .collect())
}

/// Rebuilds every breakdown counter from the signatures, inside a recount's
/// transaction (which already keeps signature writers out: see
/// `Dialect::COUNTERS_FOR_RECOUNT`); how many counters each campaign had
/// wrong.
pub(super) async fn recount_breakdowns<D: Dialect>(
    connection: &mut Connection<D>,
) -> StorageResult<HashMap<String, u64>> {
    let stored = counters::<D>(
        connection,
        "SELECT campaign, dimension, label, count FROM campaign_breakdowns",
        "reading the breakdowns",
    )
    .await?;
    let mut counted = counters::<D>(connection, COUNTED_BREAKDOWNS, "recounting the breakdowns").await?;
    counted.extend(counters::<D>(connection, D::COUNTED_BY_DAY, "recounting the days").await?);
    let mut mended: HashMap<String, u64> = HashMap::new();
    let mut deltas = Deltas::default();
    let keys: HashSet<&Key> = stored.keys().chain(counted.keys()).collect();
    for key in keys {
        let (was, is) = (
            stored.get(key).copied().unwrap_or(0),
            counted.get(key).copied().unwrap_or(0),
        );
        if was != is {
            let (campaign, dimension, label) = key;
            *mended.entry(campaign.clone()).or_default() += 1;
            deltas.add_one(
                Cow::Borrowed(campaign),
                dimension_named(dimension)?,
                Cow::Borrowed(label),
                is - was,
            );
        }
    }
    add_to_breakdowns::<D>(&mut *connection, &deltas).await?;
    Sql::<D>::new("DELETE FROM campaign_breakdowns WHERE count <= 0")
        .execute(connection)
        .await
        .map_err(db("clearing empty breakdowns"))?;
    Ok(mended)
}

/// A stored dimension's name, as the `'static` one it must be.
fn dimension_named(name: &str) -> StorageResult<&'static str> {
    [PLATFORM, DISTRICT, COUNTRY, REFERRAL, DAY]
        .into_iter()
        .find(|known| *known == name)
        .ok_or_else(|| StorageError::Corrupt(format!("unknown breakdown {name:?}")))
}
