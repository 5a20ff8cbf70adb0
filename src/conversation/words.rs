//! What the engine does with each [`Word`] (declared, with the command
//! table, in `domain::commands`): which words work at every step.

pub use crate::domain::Word;
use crate::domain::{Place, Takes};

impl Word {
    /// Words that mean the same at every step, so they are obeyed even where
    /// free text is expected: the commands of the table that work in a
    /// private chat and are read as a whole (with at most a start link's
    /// payload or an update's text). Those read with a selection or a
    /// number are read in `routing.rs`; the group's are the adapters'.
    pub fn is_global(self) -> bool {
        self.command().is_some_and(|command| {
            command.place != Place::Group && matches!(command.takes, Takes::Nothing | Takes::Payload | Takes::Text)
        })
    }
}

/// What only organisers may ask for, in a private chat, and get a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrganiserCommand {
    Stats,
    Export,
    Deliver,
    Held,
    Anomalies,
}

impl OrganiserCommand {
    /// The word that asks for it.
    pub(super) fn word(self) -> Word {
        match self {
            OrganiserCommand::Stats => Word::Stats,
            OrganiserCommand::Export => Word::Export,
            OrganiserCommand::Deliver => Word::Deliver,
            OrganiserCommand::Held => Word::Held,
            OrganiserCommand::Anomalies => Word::Anomalies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::COMMANDS;

    /// The words `Engine::global` has an arm for, which must be exactly the
    /// ones the table makes global.
    const HANDLED_AT_EVERY_STEP: [Word; 24] = [
        Word::Start,
        Word::Petition,
        Word::Sign,
        Word::Article,
        Word::Privacy,
        Word::Help,
        Word::Cancel,
        Word::Back,
        Word::Status,
        Word::Withdraw,
        Word::MyData,
        Word::Total,
        Word::Stats,
        Word::Export,
        Word::Deliver,
        Word::Held,
        Word::Anomalies,
        Word::StopUpdates,
        Word::UpdatesOn,
        Word::Updates,
        Word::Update,
        Word::CancelUpdate,
        Word::Close,
        Word::Reopen,
    ];

    #[test]
    fn the_words_of_every_step_are_the_table_s_private_commands_read_whole() {
        let mut global: Vec<&str> = COMMANDS
            .iter()
            .map(|c| c.word)
            .filter(|w| w.is_global())
            .map(Word::as_str)
            .collect();
        let mut handled: Vec<&str> = HANDLED_AT_EVERY_STEP.iter().map(|w| w.as_str()).collect();
        global.sort_unstable();
        handled.sort_unstable();
        assert_eq!(global, handled);
        for word in [
            Word::Release,
            Word::Invalidate,
            Word::Goal,
            Word::Progress,
            Word::Yes,
            Word::Skip,
        ] {
            assert!(!word.is_global(), "{word:?}");
        }
    }
}
