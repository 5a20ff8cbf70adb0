//! What the engine does with each [`Word`] (declared, with the command
//! table, in `domain::commands`): the words that work at every step.

pub use crate::domain::Word;

impl Word {
    /// Words that mean the same at every step, so they are obeyed even where
    /// free text is expected.
    pub fn is_global(self) -> bool {
        self.anytime().is_some()
    }

    /// The word as one that works at every step, if it is one.
    pub(super) fn anytime(self) -> Option<Anytime> {
        let anytime = match self {
            Word::Start | Word::Petition => Anytime::Start,
            Word::Sign => Anytime::Sign,
            Word::Article => Anytime::Article,
            Word::Privacy => Anytime::Privacy,
            Word::Help => Anytime::Help,
            Word::Cancel => Anytime::Cancel,
            Word::Back => Anytime::Back,
            Word::Status => Anytime::Status,
            Word::Withdraw => Anytime::Withdraw,
            Word::MyData => Anytime::MyData,
            Word::Total => Anytime::Total,
            Word::Stats => Anytime::Organiser(OrganiserCommand::Stats),
            Word::Export => Anytime::Organiser(OrganiserCommand::Export),
            Word::Deliver => Anytime::Organiser(OrganiserCommand::Deliver),
            Word::Held => Anytime::Organiser(OrganiserCommand::Held),
            Word::Anomalies => Anytime::Organiser(OrganiserCommand::Anomalies),
            Word::StopUpdates => Anytime::StopUpdates,
            Word::UpdatesOn => Anytime::UpdatesOn,
            Word::Update => Anytime::Update,
            Word::Updates => Anytime::Updates,
            Word::CancelUpdate => Anytime::CancelUpdate,
            Word::Close => Anytime::Close,
            Word::Reopen => Anytime::Reopen,
            // Answered by the adapters, which know the chat.
            Word::Progress => return None,
            // Read with what follows them (see `routing.rs`).
            Word::Release | Word::Invalidate | Word::Goal => return None,
            Word::Skip | Word::Yes | Word::No | Word::Confirm | Word::Change | Word::Outside => return None,
        };
        Some(anytime)
    }
}

/// A word that works at every step: the [`Word`]s for which
/// [`Word::is_global`] holds, and nothing else, so handling them needs no
/// case for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anytime {
    Start,
    Sign,
    Article,
    Privacy,
    Help,
    Cancel,
    Back,
    Status,
    Withdraw,
    MyData,
    Total,
    StopUpdates,
    UpdatesOn,
    Update,
    Updates,
    CancelUpdate,
    Close,
    Reopen,
    Organiser(OrganiserCommand),
}

/// What only organisers may ask for, in a private chat.
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
