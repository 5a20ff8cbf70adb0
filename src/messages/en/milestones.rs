//! Milestones, the goal and the progress message, in English.

use std::fmt::{self, Formatter};

use super::words::{Progress, Thousands};
use crate::messages::MilestoneMessage;

pub(super) fn write(message: &MilestoneMessage<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    use MilestoneMessage as M;
    match *message {
        M::Progress { title, total, goal } => write!(f, "{title}\n\n{}.", Progress(total, goal)),
        M::Reached {
            title,
            signatures,
            goal,
        } if signatures >= goal => write!(
            f,
            "\"{title}\" has reached its goal of {} signatures. Thank you to everyone who signed and shared it!",
            Thousands(goal)
        ),
        M::Reached {
            title,
            signatures,
            goal,
        } => write!(
            f,
            "\"{title}\" has reached {} signatures, {}% of the way to {}. Thank you! Please keep sharing it.",
            Thousands(signatures),
            signatures.saturating_mul(100) / goal.max(1),
            Thousands(goal)
        ),
        M::GoalUsage { goal, total } => write!(
            f,
            "The goal is {} signatures, with {} so far. To raise it, send goal and the new number, such as goal {}.",
            Thousands(goal),
            Thousands(total),
            goal.saturating_mul(2)
        ),
        M::GoalNotAboveTotal { total } => write!(
            f,
            "The goal must be a whole number above the {} signatures counted so far. Nothing was changed.",
            Thousands(total)
        ),
        M::GoalSet { title, from, to, total } => write!(
            f,
            "The goal of \"{title}\" is now {} signatures (it was {}), with {} so far. Milestones continue toward the new goal.",
            Thousands(to),
            Thousands(from),
            Thousands(total)
        ),
        M::GoalAudit { from, to } => write!(f, "from {} to {}", Thousands(from), Thousands(to)),
        M::ProgressHereInGroups => {
            f.write_str("Send progress here in the group or channel where the progress message should be kept.")
        }
        M::ProgressHereDone => f.write_str(
            "A new progress message will appear here in a few seconds, and is kept up to date as people sign.",
        ),
        M::GoalOption => f.write_str("The new goal, in signatures"),
    }
}
