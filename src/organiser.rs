//! What organisers may ask for (totals, breakdowns, exports), who counts as
//! an organiser, and how the answers read.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::campaign::Campaign;
use crate::config::OrganiserSettings;
use crate::domain::{Anomaly, HoldReason, Identity, Platform, PostcodeDistrict, Selection};
use crate::messages::{Heading, Language, Message, SelectionProblem, StatsMessage};
use crate::storage::{ExportRow, HeldSummary, Stats, Storage, StorageResult, Tally};

/// Days covered by the breakdown by day, today included.
pub const STATS_DAYS: u64 = 14;

/// The people allowed to see breakdowns and exports, by platform identity.
/// The engine asks this, never the platform: a Discord server admin is not
/// an organiser unless listed here.
#[derive(Debug, Clone, Default)]
pub struct Organisers {
    users: HashSet<Identity>,
    discord_roles: HashSet<String>,
}

impl Organisers {
    /// Organisers from the `[organisers]` settings.
    pub fn from_settings(settings: &OrganiserSettings) -> Self {
        let users = settings
            .telegram_users
            .iter()
            .map(|id| Identity::new(Platform::Telegram, id.to_string()))
            .chain(
                settings
                    .discord_users
                    .iter()
                    .map(|id| Identity::new(Platform::Discord, id.to_string())),
            )
            .chain(
                settings
                    .console_users
                    .iter()
                    .map(|name| Identity::new(Platform::Console, name.clone())),
            )
            .collect();
        Self {
            users,
            discord_roles: settings.discord_roles.iter().map(u64::to_string).collect(),
        }
    }

    /// Whether this identity, holding these platform roles, is an organiser.
    pub fn includes(&self, who: &Identity, roles: &[String]) -> bool {
        self.users.contains(who)
            || (who.platform == Platform::Discord && roles.iter().any(|role| self.discord_roles.contains(role)))
    }
}

/// 12345 as "12,345", in English, for the command line.
pub fn thousands(n: u64) -> String {
    Message::Number(n).text(Language::English)
}

/// The first day of the breakdown by day that ends `today`.
pub fn stats_since(today: NaiveDate) -> NaiveDate {
    today - chrono::Days::new(STATS_DAYS - 1)
}

/// Breakdowns for a campaign, with the last [`STATS_DAYS`] days by day.
pub async fn stats(storage: &Storage, campaign: &Campaign, today: NaiveDate) -> StorageResult<Stats> {
    storage.stats(&campaign.slug, stats_since(today), today).await
}

/// The breakdowns as a chat message.
pub fn render_stats(language: Language, campaign: &Campaign, stats: &Stats) -> String {
    /// Lines of one breakdown; the rest are summed in one more.
    const MOST_LINES: usize = 15;
    let say = |message: Message<'_>| message.text(language);
    let section = |heading: Heading, tallies: &[Tally]| -> String {
        if tallies.is_empty() {
            return say(Message::Stats(StatsMessage::EmptySection { heading }));
        }
        let mut lines: Vec<String> = vec![say(Message::Stats(StatsMessage::Section { heading }))];
        lines.extend(tallies.iter().take(MOST_LINES).map(|t| {
            say(Message::Stats(StatsMessage::TallyLine {
                label: &t.label,
                count: t.count,
            }))
        }));
        if tallies.len() > MOST_LINES {
            let rest: u64 = tallies[MOST_LINES..].iter().map(|t| t.count).sum();
            lines.push(say(Message::Stats(StatsMessage::AndMore {
                lines: tallies.len() - MOST_LINES,
                count: rest,
            })));
        }
        lines.join("\n")
    };
    let platforms: Vec<Tally> = stats
        .by_platform
        .iter()
        .map(|t| {
            let name = t.label.parse::<Platform>().map_or(t.label.clone(), |platform| {
                say(Message::Stats(StatsMessage::PlatformName { platform }))
            });
            Tally::new(name, t.count)
        })
        .collect();
    [
        say(Message::Stats(StatsMessage::Title { title: &campaign.title })),
        say(Message::Stats(StatsMessage::Total {
            total: stats.total,
            goal: campaign.goal,
            held: stats.held,
        })),
        section(Heading::ByPlatform, &platforms),
        section(Heading::LastDays(STATS_DAYS), &stats.by_day),
        section(Heading::ByDistrict, &stats.by_district),
        section(Heading::ByCountry, &stats.by_country),
        section(Heading::TopShareCodes, &stats.top_referral_codes),
    ]
    .join("\n\n")
}

/// The held signatures as a chat message.
pub fn render_held(language: Language, campaign: &Campaign, held: &HeldSummary) -> String {
    let say = |message: Message<'_>| message.text(language);
    let title = &campaign.title;
    if held.held == 0 {
        return say(Message::Stats(StatsMessage::NoneHeld { title }));
    }
    let section = |heading: Heading, tallies: &[Tally]| -> Option<String> {
        (!tallies.is_empty()).then(|| {
            let mut lines = vec![say(Message::Stats(StatsMessage::Section { heading }))];
            lines.extend(tallies.iter().map(|t| {
                say(Message::Stats(StatsMessage::TallyLine {
                    label: &t.label,
                    count: t.count,
                }))
            }));
            lines.join("\n")
        })
    };
    [
        Some(say(Message::Stats(StatsMessage::HeldTitle { title, held: held.held }))),
        section(Heading::ByReason, &held.by_reason),
        section(Heading::ByPlatform, &held.by_platform),
        section(Heading::TopEmailDomains, &held.by_email_domain),
        section(Heading::TopDistricts, &held.by_district),
        Some(say(Message::SelectionHelp)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n\n")
}

/// How a crossed threshold reads in an alert.
pub fn describe_anomaly(language: Language, campaign_title: &str, anomaly: &Anomaly) -> String {
    Message::VelocityAlert {
        title: campaign_title,
        anomaly,
    }
    .text(language)
}

/// The last week's anomalies as a chat message.
pub fn render_anomalies(language: Language, campaign: &Campaign, anomalies: &[Anomaly]) -> String {
    Message::VelocityAlerts {
        title: &campaign.title,
        anomalies,
    }
    .text(language)
}

/// Reads `key=value` filters (or `all`) as a selection.
pub fn parse_selection(arguments: &str) -> Result<Selection, SelectionProblem> {
    let mut selection = Selection::default();
    let words: Vec<&str> = arguments.split_whitespace().collect();
    if words.is_empty() {
        return Err(SelectionProblem::NoFilters);
    }
    if words.len() == 1 && words[0].eq_ignore_ascii_case("all") {
        return Ok(selection);
    }
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(SelectionProblem::NotAFilter(word.to_owned()));
        };
        let value = value.trim();
        match key.to_ascii_lowercase().as_str() {
            "domain" | "email_domain" => selection.email_domain = Some(value.to_lowercase()),
            "district" | "postcode" => {
                let district =
                    PostcodeDistrict::parse(value).map_err(|_| SelectionProblem::NotADistrict(value.to_owned()))?;
                selection.postcode_district = Some(district.as_str().to_owned());
            }
            "platform" => {
                let platform = value
                    .to_lowercase()
                    .parse()
                    .map_err(|_: String| SelectionProblem::NotAPlatform(value.to_owned()))?;
                selection.platform = Some(platform);
            }
            "reason" => {
                let reason = HoldReason::parse(&value.to_lowercase())
                    .ok_or_else(|| SelectionProblem::NotAReason(value.to_owned()))?;
                selection.reason = Some(reason);
            }
            "since" => selection.since = Some(parse_moment(value, false)?),
            "until" => selection.until = Some(parse_moment(value, true)?),
            other => return Err(SelectionProblem::UnknownFilter(other.to_owned())),
        }
    }
    Ok(selection)
}

/// `2026-11-01` (a whole UTC day: its start, or with `end_of_day` the
/// start of the next) or `2026-11-01T14:00`.
fn parse_moment(value: &str, end_of_day: bool) -> Result<chrono::DateTime<chrono::Utc>, SelectionProblem> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = if end_of_day { day + chrono::Days::new(1) } else { day };
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .map(|moment| moment.and_utc())
        .map_err(|_| SelectionProblem::NotADate(value.to_owned()))
}

/// A selection as organisers read it.
pub fn describe_selection(language: Language, selection: &Selection) -> String {
    Message::Selection { selection }.text(language)
}

/// The CSV columns of an export, in order.
pub const EXPORT_COLUMNS: [&str; 5] = ["name", "postcode_district", "country", "platform", "signed_at"];

/// Every signature of a campaign as CSV for delivery: what is printed on
/// the petition, never email addresses.
pub async fn export_csv(storage: &Storage, campaign: &Campaign) -> anyhow::Result<Vec<u8>> {
    let rows = storage.export(&campaign.slug).await?;
    write_csv(&rows)
}

/// Writes export rows as CSV, with spreadsheet formulas defused.
pub fn write_csv(rows: &[ExportRow]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(EXPORT_COLUMNS)?;
    for row in rows {
        writer.write_record([
            spreadsheet_safe(&row.name).as_ref(),
            spreadsheet_safe(row.postcode_district.as_deref().unwrap_or("")).as_ref(),
            spreadsheet_safe(row.country.as_deref().unwrap_or("")).as_ref(),
            row.platform.as_str(),
            &row.signed_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ])?;
    }
    Ok(writer.into_inner()?)
}

/// A cell that a spreadsheet would run as a formula (`= + - @`, or a tab or
/// carriage return before one) gets a leading apostrophe, so it is shown as
/// text.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("-1"), "'-1");
        assert_eq!(spreadsheet_safe("@SUM"), "'@SUM");
        assert_eq!(spreadsheet_safe("\t=1"), "'\t=1");
        assert_eq!(spreadsheet_safe("Ada"), "Ada");
    }

    #[test]
    fn numbers_are_grouped_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn organisers_are_recognised_by_identity_or_discord_role() {
        let organisers = Organisers::from_settings(&OrganiserSettings {
            telegram_users: vec![42],
            discord_users: vec![7],
            discord_roles: vec![99],
            console_users: vec!["organiser".into()],
        });
        assert!(organisers.includes(&Identity::new(Platform::Telegram, "42"), &[]));
        assert!(!organisers.includes(&Identity::new(Platform::Discord, "42"), &[]));
        assert!(organisers.includes(&Identity::new(Platform::Discord, "7"), &[]));
        assert!(organisers.includes(&Identity::new(Platform::Discord, "5"), &["99".into()]));
        assert!(!organisers.includes(&Identity::new(Platform::Telegram, "5"), &["99".into()]));
        assert!(organisers.includes(&Identity::new(Platform::Console, "organiser"), &[]));
        assert!(!organisers.includes(&Identity::new(Platform::Console, "someone"), &[]));
    }
}
