//! The breakdowns `stats` shows (counted signatures per platform, postcode
//! district, country, referral code and UTC day), kept as counters beside
//! the total: every write that changes which signatures are counted adds to
//! or takes from them in its own transaction, so `stats` reads a few
//! hundred counters instead of grouping every signature. Shared by both
//! databases' writers; `recount` rebuilds them.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};

use super::NewSignature;

/// The stored name of each dimension, in `campaign_breakdowns.dimension`.
pub(crate) const PLATFORM: &str = "platform";
/// See [`PLATFORM`].
pub(crate) const DISTRICT: &str = "district";
/// See [`PLATFORM`].
pub(crate) const COUNTRY: &str = "country";
/// See [`PLATFORM`].
pub(crate) const REFERRAL: &str = "referral";
/// See [`PLATFORM`].
pub(crate) const DAY: &str = "day";

/// A UTC day as `by_day` labels it: `YYYY-MM-DD`.
pub(crate) fn day_label(at: DateTime<Utc>) -> String {
    let day = at.date_naive();
    format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
}

/// What one signature is counted under: the columns that the breakdowns
/// group by, as both databases hold them.
pub(crate) struct Labels<'a> {
    /// The signature's campaign.
    pub(crate) campaign: Cow<'a, str>,
    /// Its platform.
    pub(crate) platform: Cow<'a, str>,
    /// Its postcode district, if in the UK.
    pub(crate) district: Option<Cow<'a, str>>,
    /// Its country, if abroad.
    pub(crate) country: Option<Cow<'a, str>>,
    /// The share code that brought it in, if any.
    pub(crate) referral: Option<Cow<'a, str>>,
    /// When it was made.
    pub(crate) at: DateTime<Utc>,
}

impl<'a> Labels<'a> {
    /// A new signature's labels, borrowed from it.
    pub(crate) fn of_new(signature: &'a NewSignature) -> Self {
        Self {
            campaign: Cow::Borrowed(&signature.campaign),
            platform: Cow::Borrowed(signature.identity.platform.as_str()),
            district: signature.location.district().map(Cow::Borrowed),
            country: signature.location.country().map(Cow::Borrowed),
            referral: signature
                .referral_code
                .as_ref()
                .map(|code| Cow::Borrowed(code.as_str())),
            at: signature.created_at,
        }
    }
}

/// A counter's key: campaign, dimension, label.
type Key<'a> = (Cow<'a, str>, &'static str, Cow<'a, str>);

/// Changes to breakdown counters, summed per counter, so that a batch of
/// signatures makes one upsert per counter it touches rather than several
/// per signature.
#[derive(Default, Debug)]
pub(crate) struct Deltas<'a>(HashMap<Key<'a>, i64>);

impl<'a> Deltas<'a> {
    /// Adds `by` to every counter a signature with these labels is counted under.
    pub(crate) fn add(&mut self, labels: Labels<'a>, by: i64) {
        let Labels {
            campaign,
            platform,
            district,
            country,
            referral,
            at,
        } = labels;
        let mut add = |dimension, label: Cow<'a, str>| {
            *self.0.entry((campaign.clone(), dimension, label)).or_default() += by;
        };
        add(PLATFORM, platform);
        if let Some(district) = district {
            add(DISTRICT, district);
        }
        if let Some(country) = country {
            add(COUNTRY, country);
        }
        if let Some(referral) = referral {
            add(REFERRAL, referral);
        }
        add(DAY, Cow::Owned(day_label(at)));
    }

    /// Adds `by` to one counter.
    pub(crate) fn add_one(&mut self, campaign: Cow<'a, str>, dimension: &'static str, label: Cow<'a, str>, by: i64) {
        *self.0.entry((campaign, dimension, label)).or_default() += by;
    }

    /// The changes as rows of campaign, dimension, label and change, in
    /// key order (so concurrent writers take counter rows in one order),
    /// leaving out counters whose changes cancel out.
    pub(crate) fn rows(&self) -> Vec<(&str, &'static str, &str, i64)> {
        let mut rows: Vec<_> = self
            .0
            .iter()
            .filter(|(_, change)| **change != 0)
            .map(|((campaign, dimension, label), change)| (campaign.as_ref(), *dimension, label.as_ref(), *change))
            .collect();
        rows.sort_unstable();
        rows
    }

    /// Whether no counter changes.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.values().all(|change| *change == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_label_is_the_utc_date() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T23:30:00-02:00")
            .unwrap()
            .to_utc();
        assert_eq!(day_label(at), "2026-03-02");
    }

    #[test]
    fn changes_that_cancel_out_leave_no_row_and_the_rest_sum_per_counter() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap().to_utc();
        let labels = |district: &'static str| Labels {
            campaign: "c".into(),
            platform: "telegram".into(),
            district: Some(district.into()),
            country: None,
            referral: None,
            at,
        };
        let mut deltas = Deltas::default();
        deltas.add(labels("SW1A"), 1);
        deltas.add(labels("SW1A"), 1);
        deltas.add(labels("N1"), 1);
        deltas.add(labels("N1"), -1);
        assert_eq!(
            deltas.rows(),
            [
                ("c", DAY, "2026-03-01", 2),
                ("c", DISTRICT, "SW1A", 2),
                ("c", PLATFORM, "telegram", 2)
            ]
        );
        assert!(!deltas.is_empty());
    }
}
