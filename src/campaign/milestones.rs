//! What a campaign announces as its total grows: its milestones, the chats
//! that hear of them and keep a progress message, and how often that
//! message may be edited.

use std::time::Duration;

use serde::Deserialize;

use super::InvalidSetting;

/// Shortest `progress_interval_seconds` accepted: Telegram allows about 20
/// messages a minute in a group, edits included, so one edit every three
/// seconds is the most a group can take.
pub const MIN_PROGRESS_INTERVAL_SECONDS: u64 = 3;

/// One milestone rule: a share of the goal, a fixed count, or a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneRule {
    /// This percentage of the goal ("25%").
    Percent(u64),
    /// This many signatures (5000).
    Count(u64),
    /// Every this many signatures, up to the goal ("every 1000").
    Every(u64),
}

impl MilestoneRule {
    /// The rules used when a campaign sets none: a quarter, a half, three
    /// quarters and all of the goal, and every thousand signatures.
    pub fn defaults() -> Vec<MilestoneRule> {
        vec![
            MilestoneRule::Percent(25),
            MilestoneRule::Percent(50),
            MilestoneRule::Percent(75),
            MilestoneRule::Percent(100),
            MilestoneRule::Every(1000),
        ]
    }

    /// Reads one entry as written in the config; `None` if it is not one.
    fn parse(entry: &MilestoneEntry) -> Option<MilestoneRule> {
        let rule = match entry {
            MilestoneEntry::Count(count) => MilestoneRule::Count(*count),
            MilestoneEntry::Text(text) => {
                let text = text.trim();
                if let Some(percent) = text.strip_suffix('%') {
                    MilestoneRule::Percent(percent.trim().parse().ok()?)
                } else if let Some(step) = text.strip_prefix("every") {
                    MilestoneRule::Every(step.trim().replace(',', "").parse().ok()?)
                } else {
                    MilestoneRule::Count(text.replace(',', "").parse().ok()?)
                }
            }
        };
        let valid = match rule {
            MilestoneRule::Percent(p) => (1..=1000).contains(&p),
            MilestoneRule::Count(n) | MilestoneRule::Every(n) => n >= 1,
        };
        valid.then_some(rule)
    }
}

/// The signature counts that are milestones toward `goal`, in order, each
/// once.
pub fn milestones_toward(rules: &[MilestoneRule], goal: u64) -> Vec<u64> {
    let mut counts: Vec<u64> = Vec::new();
    for rule in rules {
        match *rule {
            // Rounded up, so reaching it means at least that share.
            MilestoneRule::Percent(p) => counts.push((goal.saturating_mul(p)).div_ceil(100).max(1)),
            MilestoneRule::Count(n) => counts.push(n),
            MilestoneRule::Every(step) => counts.extend((1..=goal / step).map(|k| k * step)),
        }
    }
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// An entry of `milestones` as written: `"25%"`, `5000`, `"every 1000"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum MilestoneEntry {
    Count(u64),
    Text(String),
}

/// `campaigns.SLUG.announce`: where milestones are announced and a
/// progress message is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announce {
    /// Telegram chat or channel ids (groups' are negative).
    #[serde(default)]
    pub telegram: Vec<i64>,
    /// Discord channel ids.
    #[serde(default)]
    pub discord: Vec<u64>,
}

/// Checks the milestone settings of campaign `slug`.
pub(super) fn check(
    slug: &str,
    entries: Option<&[MilestoneEntry]>,
    progress_interval_seconds: u64,
) -> Result<(Vec<MilestoneRule>, Duration), InvalidSetting> {
    let key = |field: &str| format!("campaigns.{slug}.{field}");
    let rules = match entries {
        None => MilestoneRule::defaults(),
        Some(entries) => entries
            .iter()
            .enumerate()
            .map(|(n, entry)| {
                // By position, never by what it holds, like every other value.
                MilestoneRule::parse(entry).ok_or_else(|| {
                    InvalidSetting::new(
                        key("milestones"),
                        format!(
                            "entry {} is not a milestone; write a share of the goal such as \"25%\", \
                             a number of signatures such as 5000, or a step such as \"every 1000\"",
                            n + 1
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    if progress_interval_seconds < MIN_PROGRESS_INTERVAL_SECONDS {
        return Err(InvalidSetting::new(
            key("progress_interval_seconds"),
            format!(
                "must be at least {MIN_PROGRESS_INTERVAL_SECONDS}: Telegram allows about 20 messages a minute \
                 in a group, edits included"
            ),
        ));
    }
    Ok((rules, Duration::from_secs(progress_interval_seconds)))
}

/// `progress_interval_seconds` when a campaign sets none.
pub(super) fn default_progress_interval_seconds() -> u64 {
    10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_milestones_are_the_quarters_and_every_thousand() {
        assert_eq!(
            milestones_toward(&MilestoneRule::defaults(), 4000),
            vec![1000, 2000, 3000, 4000]
        );
        assert_eq!(
            milestones_toward(&MilestoneRule::defaults(), 10),
            vec![3, 5, 8, 10],
            "a quarter of 10 is reached at 3"
        );
        let toward_ten_thousand = milestones_toward(&MilestoneRule::defaults(), 10_000);
        assert_eq!(toward_ten_thousand.len(), 12, "{toward_ten_thousand:?}");
        assert!(toward_ten_thousand.contains(&2500) && toward_ten_thousand.contains(&7500));
    }

    #[test]
    fn entries_read_as_shares_counts_or_steps_and_a_bad_one_is_named_by_position() {
        let entries = [
            MilestoneEntry::Text("10%".into()),
            MilestoneEntry::Count(5000),
            MilestoneEntry::Text("every 2,000".into()),
        ];
        let (rules, interval) = check("c", Some(&entries), 10).unwrap();
        assert_eq!(
            rules,
            vec![
                MilestoneRule::Percent(10),
                MilestoneRule::Count(5000),
                MilestoneRule::Every(2000)
            ]
        );
        assert_eq!(interval, Duration::from_secs(10));
        let bad = [MilestoneEntry::Count(5), MilestoneEntry::Text("lots-8675309".into())];
        let error = check("c", Some(&bad), 10).unwrap_err().to_string();
        assert!(
            error.contains("campaigns.c.milestones") && error.contains("entry 2"),
            "{error}"
        );
        assert!(!error.contains("8675309"), "{error}");
        assert!(check("c", Some(&[MilestoneEntry::Text("0%".into())]), 10).is_err());
    }

    #[test]
    fn an_interval_too_short_for_telegrams_group_limit_is_refused() {
        let error = check("c", None, 2).unwrap_err().to_string();
        assert!(error.contains("campaigns.c.progress_interval_seconds"), "{error}");
        assert!(check("c", None, 3).is_ok());
    }
}
