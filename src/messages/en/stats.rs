//! The English of `stats` and `held` (see [`crate::messages::StatsMessage`]).

use std::fmt::{self, Formatter};

use super::parts::Described;
use super::words::{Progress, Thousands, platform_name};
use crate::messages::{Drift, StatsMessage};

pub(super) fn write_stats(message: &StatsMessage<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    use StatsMessage as S;
    match *message {
        S::Title { title } => write!(f, "Stats for \"{title}\""),
        S::Total { total, goal, held } => {
            write!(f, "Total: {}", Progress(total, goal))?;
            if held > 0 {
                write!(f, "\nHeld for review (not counted): {}", Thousands(held))?;
            }
            Ok(())
        }
        S::Section { heading } => write!(f, "{}:", Described(heading)),
        S::EmptySection { heading } => write!(f, "{}: none yet", Described(heading)),
        S::TallyLine { label, count } => write!(f, "  {label}: {}", Thousands(count)),
        S::AndMore { lines, count } => write!(f, "  and {lines} more: {}", Thousands(count)),
        S::PlatformName { platform } => f.write_str(platform_name(platform)),
        S::NoneHeld { title } => write!(f, "No signatures of \"{title}\" are held for review."),
        S::HeldTitle { title, held } => write!(
            f,
            "Held for review on \"{title}\": {} (not in the total)",
            Thousands(held)
        ),
        S::Recounted {
            campaign,
            counted,
            held,
            drift,
        } => {
            write!(f, "{campaign}: {} counted", Thousands(counted))?;
            if held > 0 {
                write!(f, ", {} held for review", Thousands(held))?;
            }
            match drift {
                None => f.write_str("; no drift"),
                Some(Drift {
                    stored_total,
                    stored_held,
                    breakdowns_mended,
                }) => {
                    write!(
                        f,
                        "; drift corrected: the stored total was {} and held {}",
                        Thousands(stored_total),
                        Thousands(stored_held)
                    )?;
                    match breakdowns_mended {
                        0 => Ok(()),
                        1 => f.write_str(", and 1 breakdown counter was mended"),
                        n => write!(f, ", and {} breakdown counters were mended", Thousands(n)),
                    }
                }
            }
        }
    }
}
