//! The keys of what milestones, the progress message and the `goal` and
//! `progress here` commands say, kept apart from the rest of the catalogue
//! as one [`Message::Milestones`](super::Message::Milestones) key; and the
//! progress bar every platform draws.

/// Something said about milestones, the goal or the progress message.
#[derive(Debug, Clone, Copy)]
pub enum MilestoneMessage<'a> {
    /// The progress message kept in each announcement chat; the bar is
    /// [`progress_bar`].
    Progress {
        /// The campaign's title.
        title: &'a str,
        /// Signatures so far.
        total: u64,
        /// The goal in force.
        goal: u64,
    },
    /// A milestone reached, as announced in a chat (and, where a campaign
    /// sends them, to signers who asked for updates).
    Reached {
        /// The campaign's title.
        title: &'a str,
        /// The signatures reached.
        signatures: u64,
        /// The goal in force when it was reached.
        goal: u64,
    },
    /// `goal` without a number.
    GoalUsage {
        /// The goal in force.
        goal: u64,
        /// Signatures so far.
        total: u64,
    },
    /// `goal N` with N not above the total.
    GoalNotAboveTotal {
        /// Signatures so far.
        total: u64,
    },
    /// `goal N` done.
    GoalSet {
        /// The campaign's title.
        title: &'a str,
        /// The goal before.
        from: u64,
        /// The new goal.
        to: u64,
        /// Signatures so far.
        total: u64,
    },
    /// The audit log's detail of a goal change.
    GoalAudit {
        /// The goal before.
        from: u64,
        /// The new goal.
        to: u64,
    },
    /// `progress here` in a private chat.
    ProgressHereInGroups,
    /// `progress here` done; the message follows.
    ProgressHereDone,
    /// The slash command option of `goal`.
    GoalOption,
}

/// "▰▰▰▰▰▰▱▱▱▱▱▱▱▱▱▱▱▱▱▱ 30%": the total against the goal, drawn the same
/// on every platform.
pub fn progress_bar(total: u64, goal: u64) -> String {
    const CELLS: u64 = 20;
    let filled = (total.min(goal) * CELLS).checked_div(goal).unwrap_or(CELLS);
    let percent = total.saturating_mul(100).checked_div(goal).unwrap_or(100);
    format!(
        "{}{} {percent}%",
        "▰".repeat(filled as usize),
        "▱".repeat((CELLS - filled) as usize)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{Language, Message};

    #[test]
    fn the_progress_bar_fills_towards_the_goal() {
        assert_eq!(progress_bar(0, 100), format!("{} 0%", "▱".repeat(20)));
        assert_eq!(
            progress_bar(50, 100),
            format!("{}{} 50%", "▰".repeat(10), "▱".repeat(10))
        );
        assert_eq!(progress_bar(150, 100), format!("{} 150%", "▰".repeat(20)));
    }

    #[test]
    fn every_milestone_message_is_worded() {
        let title = "Save the library";
        let every = [
            MilestoneMessage::Progress {
                title,
                total: 1,
                goal: 2,
            },
            MilestoneMessage::Reached {
                title,
                signatures: 1000,
                goal: 4000,
            },
            MilestoneMessage::Reached {
                title,
                signatures: 4000,
                goal: 4000,
            },
            MilestoneMessage::GoalUsage { goal: 1, total: 0 },
            MilestoneMessage::GoalNotAboveTotal { total: 1 },
            MilestoneMessage::GoalSet {
                title,
                from: 1,
                to: 2,
                total: 1,
            },
            MilestoneMessage::GoalAudit { from: 1, to: 2 },
            MilestoneMessage::ProgressHereInGroups,
            MilestoneMessage::ProgressHereDone,
            MilestoneMessage::GoalOption,
        ];
        for message in every {
            // A match without a catch-all: a new key does not build until listed above.
            match message {
                MilestoneMessage::Progress { .. }
                | MilestoneMessage::Reached { .. }
                | MilestoneMessage::GoalUsage { .. }
                | MilestoneMessage::GoalNotAboveTotal { .. }
                | MilestoneMessage::GoalSet { .. }
                | MilestoneMessage::GoalAudit { .. }
                | MilestoneMessage::ProgressHereInGroups
                | MilestoneMessage::ProgressHereDone
                | MilestoneMessage::GoalOption => {}
            }
            let text = Message::Milestones(message).text(Language::English);
            assert!(
                !text.trim().is_empty() && !text.contains(['{', '}']),
                "{message:?}: {text}"
            );
        }
        // Discord's limit on option descriptions.
        assert!(
            Message::Milestones(MilestoneMessage::GoalOption)
                .text(Language::English)
                .chars()
                .count()
                <= 100
        );
    }
}
