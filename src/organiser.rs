//! What organisers may ask for (totals, breakdowns, exports), who counts as
//! an organiser, and how the answers read.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::campaign::Campaign;
use crate::config::OrganiserSettings;
use crate::domain::PostcodeDistrict;
use crate::domain::{HoldReason, Identity, Platform};
use crate::storage::{Anomaly, ExportRow, HeldSummary, Selection, Stats, Storage, StorageResult, Tally};

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

/// "1,234 of 10,000 signatures (12%)".
pub fn progress(total: u64, goal: u64) -> String {
    let percent = total.saturating_mul(100).checked_div(goal).unwrap_or(0);
    format!(
        "{} of {} signatures ({percent}% of the goal)",
        thousands(total),
        thousands(goal)
    )
}

/// 12345 as "12,345".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The first day of the breakdown by day that ends `today`.
pub fn stats_since(today: NaiveDate) -> NaiveDate {
    today - chrono::Days::new(STATS_DAYS - 1)
}

/// Breakdowns for a campaign, with the last [`STATS_DAYS`] days by day.
pub async fn stats(storage: &dyn Storage, campaign: &Campaign, today: NaiveDate) -> StorageResult<Stats> {
    storage.stats(&campaign.slug, stats_since(today), today).await
}

/// The breakdowns as a chat message.
pub fn render_stats(campaign: &Campaign, stats: &Stats) -> String {
    const MOST_LINES: usize = 15;
    let section = |heading: &str, tallies: &[Tally]| -> String {
        if tallies.is_empty() {
            return format!("{heading}: none yet");
        }
        let mut lines: Vec<String> = tallies
            .iter()
            .take(MOST_LINES)
            .map(|t| format!("  {}: {}", t.label, thousands(t.count)))
            .collect();
        if tallies.len() > MOST_LINES {
            let rest: u64 = tallies[MOST_LINES..].iter().map(|t| t.count).sum();
            lines.push(format!(
                "  and {} more: {}",
                tallies.len() - MOST_LINES,
                thousands(rest)
            ));
        }
        format!("{heading}:\n{}", lines.join("\n"))
    };
    let platforms: Vec<Tally> = stats
        .by_platform
        .iter()
        .map(|t| {
            let name = t
                .label
                .parse::<Platform>()
                .map_or(t.label.clone(), |p| p.display_name().to_owned());
            Tally::new(name, t.count)
        })
        .collect();
    [
        format!("Stats for \"{}\"", campaign.title),
        format!(
            "Total: {}{}",
            progress(stats.total, campaign.goal),
            if stats.held > 0 {
                format!("\nHeld for review (not counted): {}", thousands(stats.held))
            } else {
                String::new()
            }
        ),
        section("By platform", &platforms),
        section(&format!("Last {STATS_DAYS} days (UTC)"), &stats.by_day),
        section("By UK postcode district", &stats.by_district),
        section("Outside the UK, by country", &stats.by_country),
        section("Top share codes", &stats.top_referral_codes),
    ]
    .join("\n\n")
}

/// The held signatures as a chat message.
pub fn render_held(campaign: &Campaign, held: &HeldSummary) -> String {
    if held.held == 0 {
        return format!("No signatures of \"{}\" are held for review.", campaign.title);
    }
    let section = |heading: &str, tallies: &[Tally]| -> Option<String> {
        (!tallies.is_empty()).then(|| {
            let lines: Vec<String> = tallies
                .iter()
                .map(|t| format!("  {}: {}", t.label, thousands(t.count)))
                .collect();
            format!("{heading}:\n{}", lines.join("\n"))
        })
    };
    [
        Some(format!(
            "Held for review on \"{}\": {} (not in the total)",
            campaign.title,
            thousands(held.held)
        )),
        section("By reason", &held.by_reason),
        section("By platform", &held.by_platform),
        section("By email domain (top 10)", &held.by_email_domain),
        section("By postcode district (top 10)", &held.by_district),
        Some(SELECTION_HELP.to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n\n")
}

/// How a crossed threshold reads in an alert or a list.
pub fn describe_anomaly(campaign_title: &str, anomaly: &Anomaly) -> String {
    format!(
        "Velocity alert on \"{campaign_title}\": {} signatures in the last hour from {} {} (threshold {}), noticed {}. New signatures from it are held for review for an hour; see held.",
        thousands(anomaly.count),
        anomaly.dimension.describe(),
        anomaly.value,
        thousands(anomaly.threshold),
        anomaly.detected_at.format("%-d %B %Y at %H:%M UTC")
    )
}

/// The last week's anomalies as a chat message.
pub fn render_anomalies(campaign: &Campaign, anomalies: &[Anomaly]) -> String {
    if anomalies.is_empty() {
        return format!("No velocity alerts on \"{}\" in the last 7 days.", campaign.title);
    }
    let lines: Vec<String> = anomalies
        .iter()
        .map(|a| {
            format!(
                "{}: {} from {} {} (threshold {})",
                a.detected_at.format("%Y-%m-%d %H:%M UTC"),
                thousands(a.count),
                a.dimension.describe(),
                a.value,
                thousands(a.threshold)
            )
        })
        .collect();
    format!(
        "Velocity alerts on \"{}\" in the last 7 days:\n{}",
        campaign.title,
        lines.join("\n")
    )
}

/// How organisers say which signatures to release or invalidate.
pub const SELECTION_HELP: &str = "To act on held signatures, send release or invalidate followed by filters: domain=example.com, district=SW1A, platform=discord, reason=new_account (or surge, email_domain_velocity, postcode_district_velocity, platform_velocity, blocked_domain, blocked_identity), since=2026-11-01, until=2026-11-02 (whole UTC days, or 2026-11-01T14:00); or all. You will see how many match before anything changes.";

/// Reads `key=value` filters (or `all`) as a selection.
pub fn parse_selection(arguments: &str) -> Result<Selection, String> {
    let mut selection = Selection::default();
    let words: Vec<&str> = arguments.split_whitespace().collect();
    if words.is_empty() {
        return Err("Please say which signatures, for example: release reason=new_account".to_owned());
    }
    if words.len() == 1 && words[0].eq_ignore_ascii_case("all") {
        return Ok(selection);
    }
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!("I don't understand \"{word}\": filters are written key=value."));
        };
        let value = value.trim();
        match key.to_ascii_lowercase().as_str() {
            "domain" | "email_domain" => selection.email_domain = Some(value.to_lowercase()),
            "district" | "postcode" => {
                let district =
                    PostcodeDistrict::parse(value).map_err(|_| format!("{value} is not a postcode district."))?;
                selection.postcode_district = Some(district.as_str().to_owned());
            }
            "platform" => {
                let platform = value
                    .to_lowercase()
                    .parse()
                    .map_err(|_| format!("{value} is not a platform (telegram, discord or console)."))?;
                selection.platform = Some(platform);
            }
            "reason" => {
                let reason =
                    HoldReason::parse(&value.to_lowercase()).ok_or_else(|| format!("{value} is not a hold reason."))?;
                selection.reason = Some(reason);
            }
            "since" => selection.since = Some(parse_moment(value, false)?),
            "until" => selection.until = Some(parse_moment(value, true)?),
            other => return Err(format!("I don't know the filter \"{other}\".")),
        }
    }
    Ok(selection)
}

/// `2026-11-01` (a whole UTC day: its start, or with `end_of_day` the
/// start of the next) or `2026-11-01T14:00`.
fn parse_moment(value: &str, end_of_day: bool) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = if end_of_day { day + chrono::Days::new(1) } else { day };
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .map(|moment| moment.and_utc())
        .map_err(|_| format!("{value} is not a date such as 2026-11-01 or 2026-11-01T14:00 (UTC)."))
}

/// A selection as organisers read it.
pub fn describe_selection(selection: &Selection) -> String {
    let mut parts = Vec::new();
    if let Some(reason) = selection.reason {
        parts.push(format!("reason {}", reason.as_str()));
    }
    if let Some(domain) = &selection.email_domain {
        parts.push(format!("email domain {domain}"));
    }
    if let Some(district) = &selection.postcode_district {
        parts.push(format!("district {district}"));
    }
    if let Some(platform) = selection.platform {
        parts.push(format!("platform {platform}"));
    }
    if let Some(since) = selection.since {
        parts.push(format!("since {}", since.format("%Y-%m-%d %H:%M UTC")));
    }
    if let Some(until) = selection.until {
        parts.push(format!("before {}", until.format("%Y-%m-%d %H:%M UTC")));
    }
    if parts.is_empty() {
        "all".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The CSV columns of an export, in order.
pub const EXPORT_COLUMNS: [&str; 5] = ["name", "postcode_district", "country", "platform", "signed_at"];

/// Every signature of a campaign as CSV for delivery: what is printed on
/// the petition, never email addresses.
pub async fn export_csv(storage: &dyn Storage, campaign: &Campaign) -> anyhow::Result<Vec<u8>> {
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
    fn progress_reads_against_the_goal() {
        assert_eq!(progress(1, 10000), "1 of 10,000 signatures (0% of the goal)");
        assert_eq!(progress(2500, 10000), "2,500 of 10,000 signatures (25% of the goal)");
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
