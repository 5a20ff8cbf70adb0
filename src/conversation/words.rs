//! The words a supporter can type (or press as buttons), and what they mean.

/// Something a supporter asks for by a word or a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// Show the campaign and the first choices.
    Start,
    /// Begin signing.
    Sign,
    /// Read the full article.
    Article,
    /// Read the privacy notice.
    Privacy,
    /// Explain the current step and the commands.
    Help,
    /// Abandon the conversation, keeping nothing typed so far.
    Cancel,
    /// Go back one step.
    Back,
    /// Skip an optional step.
    Skip,
    /// Agree.
    Yes,
    /// Decline.
    No,
    /// Submit the reviewed signature.
    Confirm,
    /// Correct something at the review.
    Change,
    /// At the postcode step: I live outside the UK.
    Outside,
    /// Have I signed, and when?
    Status,
    /// Remove my signature and my data.
    Withdraw,
    /// What do you hold about me?
    MyData,
    /// The count against the goal.
    Total,
    /// Organisers: breakdowns.
    Stats,
    /// Organisers: CSV of signatures.
    Export,
    /// Organisers: the delivery pack, a PDF to print.
    Deliver,
    /// Organisers: signatures held for review.
    Held,
    /// Organisers: velocity thresholds crossed.
    Anomalies,
    /// No more updates, please.
    StopUpdates,
    /// Updates again, please.
    UpdatesOn,
    /// Organisers: write an update to signers.
    Update,
    /// Organisers: past updates (signers: their own choice).
    Updates,
    /// Organisers: stop the update being sent.
    CancelUpdate,
    /// Organisers: close the petition now.
    Close,
    /// Organisers: open a closed petition again.
    Reopen,
}

impl Word {
    /// The canonical typed form, also used in button data.
    pub fn as_str(self) -> &'static str {
        match self {
            Word::Start => "start",
            Word::Sign => "sign",
            Word::Article => "article",
            Word::Privacy => "privacy",
            Word::Help => "help",
            Word::Cancel => "cancel",
            Word::Back => "back",
            Word::Skip => "skip",
            Word::Yes => "yes",
            Word::No => "no",
            Word::Confirm => "confirm",
            Word::Change => "change",
            Word::Outside => "outside",
            Word::Status => "status",
            Word::Withdraw => "withdraw",
            Word::MyData => "mydata",
            Word::Total => "total",
            Word::Stats => "stats",
            Word::Export => "export",
            Word::Deliver => "deliver",
            Word::Held => "held",
            Word::Anomalies => "anomalies",
            Word::StopUpdates => "stop",
            Word::UpdatesOn => "updates on",
            Word::Update => "update",
            Word::Updates => "updates",
            Word::CancelUpdate => "cancel update",
            Word::Close => "close",
            Word::Reopen => "reopen",
        }
    }

    /// Reads a typed word, case-insensitively, with or without a leading
    /// `/` and trailing punctuation. Only whole messages count: "yes please"
    /// is yes, "yes I am Ann" is not a word.
    pub fn parse(text: &str) -> Option<Word> {
        let text = text.trim().trim_start_matches('/');
        let text = text.trim_end_matches(['.', '!', '?']).trim().to_lowercase();
        let word = match text.as_str() {
            "start" | "menu" | "petition" => Word::Start,
            "sign" | "sign it" | "sign the petition" => Word::Sign,
            "article" | "read" | "read the article" | "read more" => Word::Article,
            "privacy" | "privacy notice" => Word::Privacy,
            "help" | "" => Word::Help,
            "cancel" => Word::Cancel,
            "back" | "go back" => Word::Back,
            "skip" => Word::Skip,
            "yes" | "y" | "yes please" | "i consent" | "i agree" | "agree" | "ok" => Word::Yes,
            "no" | "n" | "no thanks" | "no thank you" => Word::No,
            "confirm" | "submit" => Word::Confirm,
            "change" | "edit" => Word::Change,
            "outside" | "outside the uk" | "abroad" | "not in the uk" | "i live outside the uk" => Word::Outside,
            "status" => Word::Status,
            "withdraw" => Word::Withdraw,
            "mydata" | "my data" => Word::MyData,
            "total" => Word::Total,
            "stats" => Word::Stats,
            "export" => Word::Export,
            "deliver" | "delivery" | "delivery pack" => Word::Deliver,
            "held" => Word::Held,
            "anomalies" => Word::Anomalies,
            "stop" | "updates off" | "stop updates" | "unsubscribe" | "no more updates" => Word::StopUpdates,
            "updates on" | "updates_on" | "start updates" | "resume updates" => Word::UpdatesOn,
            "update" => Word::Update,
            "close" | "close the petition" => Word::Close,
            "reopen" | "reopen the petition" => Word::Reopen,
            "updates" => Word::Updates,
            "cancel update" | "cancel-update" | "cancel_update" | "cancelupdate" | "cancel the update"
            | "stop update" | "stop the update" => Word::CancelUpdate,
            _ => return None,
        };
        Some(word)
    }

    /// Words that mean the same at every step, so they are obeyed even where
    /// free text is expected.
    pub fn is_global(self) -> bool {
        self.anytime().is_some()
    }

    /// The word as one that works at every step, if it is one.
    pub(super) fn anytime(self) -> Option<Anytime> {
        let anytime = match self {
            Word::Start => Anytime::Start,
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
            Word::Skip | Word::Yes | Word::No | Word::Confirm | Word::Change | Word::Outside => return None,
        };
        Some(anytime)
    }

    /// Words that only show something: an old button carrying one of these
    /// is still honoured, since it cannot change anything.
    pub fn only_shows(self) -> bool {
        matches!(
            self,
            Word::Article | Word::Privacy | Word::Help | Word::Status | Word::MyData | Word::Total | Word::Updates
        )
    }

    /// Words whose button is honoured from any message, however old: those
    /// that only show something, and stopping updates, which a signer must
    /// be able to do from the bottom of any update they received.
    pub fn honoured_from_old_messages(self) -> bool {
        self.only_shows() || self == Word::StopUpdates
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_read_case_insensitively_with_or_without_a_slash() {
        assert_eq!(Word::parse("SIGN"), Some(Word::Sign));
        assert_eq!(Word::parse("/sign"), Some(Word::Sign));
        assert_eq!(Word::parse(" Yes! "), Some(Word::Yes));
        assert_eq!(Word::parse("My Data"), Some(Word::MyData));
        assert_eq!(Word::parse("Ada Lovelace"), None);
    }

    #[test]
    fn every_canonical_form_parses_back() {
        for word in [
            Word::Start,
            Word::Sign,
            Word::Article,
            Word::Privacy,
            Word::Help,
            Word::Cancel,
            Word::Back,
            Word::Skip,
            Word::Yes,
            Word::No,
            Word::Confirm,
            Word::Change,
            Word::Outside,
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
            Word::Update,
            Word::Updates,
            Word::CancelUpdate,
            Word::Close,
            Word::Reopen,
        ] {
            assert_eq!(Word::parse(word.as_str()), Some(word));
        }
    }
}
