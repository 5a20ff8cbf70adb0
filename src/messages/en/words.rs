//! The small pieces English wording is built from: numbers grouped in
//! thousands, counts with their plurals, days, moments and waits, lists of
//! names, and the names of platforms and of what velocity is counted by.

use std::fmt::{self, Display, Formatter};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::{Dimension, Platform};

/// The name people know a platform by.
pub(super) fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Telegram => "Telegram",
        Platform::Discord => "Discord",
        Platform::Console => "the console",
    }
}

/// What velocity is counted by, as an alert names it.
pub(super) fn dimension(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::EmailDomain => "email domain",
        Dimension::PostcodeDistrict => "postcode district",
        Dimension::Platform => "platform",
    }
}

pub(super) fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// "it" or "them".
pub(super) fn them(count: u64) -> &'static str {
    if count == 1 { "it" } else { "them" }
}

/// "1 signature", "2,000 signatures".
pub(super) struct Counted(pub(super) u64, pub(super) &'static str);

impl Display for Counted {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Counted(count, noun) = *self;
        write!(f, "{} {noun}{}", Thousands(count), if count == 1 { "" } else { "s" })
    }
}

/// "1,234 of 10,000 signatures (12% of the goal)".
pub(super) struct Progress(pub(super) u64, pub(super) u64);

impl Display for Progress {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Progress(total, goal) = *self;
        let percent = total.saturating_mul(100).checked_div(goal).unwrap_or(0);
        write!(
            f,
            "{} of {} signatures ({percent}% of the goal)",
            Thousands(total),
            Thousands(goal)
        )
    }
}

/// 12345 as "12,345".
pub(super) struct Thousands(pub(super) u64);

impl Display for Thousands {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // Written from the last digit back: u64::MAX has 20 digits, 6 commas.
        let mut text = [0u8; 26];
        let mut start = text.len();
        let mut n = self.0;
        for written in 0.. {
            if written > 0 && written % 3 == 0 {
                start -= 1;
                text[start] = b',';
            }
            start -= 1;
            text[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        f.write_str(std::str::from_utf8(&text[start..]).expect("digits and commas are ASCII"))
    }
}

/// "3 November 2026".
pub(super) struct Day(pub(super) DateTime<Utc>);

impl Display for Day {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%-d %B %Y"))
    }
}

/// "3 November 2026 at 14:00 UTC".
pub(super) struct Moment(pub(super) DateTime<Utc>);

impl Display for Moment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%-d %B %Y at %H:%M UTC"))
    }
}

/// How long a wait reads: "2 minutes", "3 hours".
pub(super) struct Wait(pub(super) Duration);

impl Display for Wait {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs().max(1);
        let (n, unit) = if seconds < 90 {
            (seconds, "second")
        } else if seconds < 90 * 60 {
            (seconds.div_ceil(60), "minute")
        } else {
            (seconds.div_ceil(3600), "hour")
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// The targets as a phrase: "A", "A and B", "A, B and C".
pub(super) struct Targets<'a>(pub(super) &'a [String]);

impl Display for Targets<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => Ok(()),
            [only] => f.write_str(only),
            [init @ .., last] => {
                for (i, target) in init.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(target)?;
                }
                write!(f, " and {last}")
            }
        }
    }
}
