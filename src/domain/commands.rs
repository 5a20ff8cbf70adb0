//! The words people send the bot, and the command table: each command
//! declared once, with its words, who may use it, where, what may follow
//! it, and where it is offered. Telegram's menu, Discord's slash commands,
//! the help, and the engine's reading of typed words all come from
//! [`COMMANDS`]. Adding a command is a [`Word`], its entry here, its
//! wording in the catalogue (`CommandDescription`), and its handler in the
//! engine.

/// Something a person asks for by a word or a button: a command, or an
/// answer to the question in hand.
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
    /// In a group: present the petition (in private, the welcome).
    Petition,
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
    /// Organisers: count held signatures in (a selection follows).
    Release,
    /// Organisers: stop signatures counting (a selection follows).
    Invalidate,
    /// No more updates, please.
    StopUpdates,
    /// Updates again, please.
    UpdatesOn,
    /// Organisers: write an update to signers (its text may follow).
    Update,
    /// Organisers: past updates (signers: their own choice).
    Updates,
    /// Organisers: stop the update being sent.
    CancelUpdate,
    /// Organisers: close the petition now.
    Close,
    /// Organisers: open a closed petition again.
    Reopen,
    /// Organisers: raise the goal (the number follows).
    Goal,
    /// Organisers, in a group or channel: keep a progress message there.
    Progress,
}

/// Who may use a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone.
    Everyone,
    /// Only the campaign's organisers (the engine checks; menus hide it
    /// from everyone else where the platform can).
    Organisers,
}

/// Where a command works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In a private chat (in a group, the bot points there).
    Private,
    /// In a private chat and, answered publicly, in a group.
    Anywhere,
    /// Only in a group or channel.
    Group,
}

/// What may follow a command's name in the same message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// Nothing: the whole message is the command.
    Nothing,
    /// A start link's payload.
    Payload,
    /// A selection of signatures (`domain=example.com`, `all`, …).
    Selection,
    /// A number.
    Number,
    /// Text, if any: an update's, or `here` after `progress`.
    Text,
}

/// Where a command is offered to people, besides being understood when
/// typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offered {
    /// In Telegram's command menu (organisers' commands only in theirs).
    pub telegram_menu: bool,
    /// As a Discord slash command, under this name (Discord's names may
    /// hold a hyphen, Telegram's may not).
    pub discord: Option<&'static str>,
    /// In the list of words the help gives supporters.
    pub help: bool,
}

/// One command, declared once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// What it asks for.
    pub word: Word,
    /// Its name: typed with or without a slash, and its entry in
    /// Telegram's menu.
    pub name: &'static str,
    /// Other whole messages that mean the same.
    pub also: &'static [&'static str],
    /// Who may use it.
    pub who: Who,
    /// Where it works.
    pub place: Place,
    /// What may follow its name.
    pub takes: Takes,
    /// Where it is offered.
    pub offered: Offered,
}

/// Offered in Telegram's menu, as a Discord slash command of the same
/// name, and in the help.
const fn everywhere(name: &'static str) -> Offered {
    Offered {
        telegram_menu: true,
        discord: Some(name),
        help: true,
    }
}

/// Offered in Telegram's menu and as a Discord slash command of the same
/// name.
const fn in_menus(name: &'static str) -> Offered {
    Offered {
        telegram_menu: true,
        discord: Some(name),
        help: false,
    }
}

/// Understood when typed, and offered nowhere.
const TYPED_ONLY: Offered = Offered {
    telegram_menu: false,
    discord: None,
    help: false,
};

const fn command(word: Word, name: &'static str, also: &'static [&'static str], offered: Offered) -> Command {
    Command {
        word,
        name,
        also,
        who: Who::Everyone,
        place: Place::Private,
        takes: Takes::Nothing,
        offered,
    }
}

const fn organisers(word: Word, name: &'static str, also: &'static [&'static str], discord: &'static str) -> Command {
    Command {
        who: Who::Organisers,
        offered: Offered {
            telegram_menu: true,
            discord: Some(discord),
            help: false,
        },
        ..command(word, name, also, TYPED_ONLY)
    }
}

const fn anywhere(command: Command) -> Command {
    Command {
        place: Place::Anywhere,
        ..command
    }
}

const fn taking(takes: Takes, command: Command) -> Command {
    Command { takes, ..command }
}

/// Every command, in the order menus and the help list them.
pub static COMMANDS: [Command; 28] = [
    taking(
        Takes::Payload,
        anywhere(command(
            Word::Start,
            "start",
            &["menu"],
            Offered {
                discord: None,
                help: false,
                ..everywhere("start")
            },
        )),
    ),
    anywhere(command(
        Word::Sign,
        "sign",
        &["sign it", "sign the petition"],
        everywhere("sign"),
    )),
    command(
        Word::Article,
        "article",
        &["read", "read the article", "read more"],
        everywhere("article"),
    ),
    command(Word::Privacy, "privacy", &["privacy notice"], everywhere("privacy")),
    command(Word::Status, "status", &[], everywhere("status")),
    command(Word::MyData, "mydata", &["my data"], everywhere("mydata")),
    command(Word::Withdraw, "withdraw", &[], everywhere("withdraw")),
    anywhere(command(Word::Total, "total", &[], everywhere("total"))),
    command(Word::Help, "help", &[""], in_menus("help")),
    command(
        Word::Back,
        "back",
        &["go back"],
        Offered {
            telegram_menu: false,
            discord: None,
            help: true,
        },
    ),
    command(
        Word::Cancel,
        "cancel",
        &[],
        Offered {
            discord: None,
            ..everywhere("cancel")
        },
    ),
    anywhere(command(Word::Petition, "petition", &[], in_menus("petition"))),
    organisers(Word::Stats, "stats", &[], "stats"),
    organisers(Word::Export, "export", &[], "export"),
    organisers(Word::Held, "held", &[], "held"),
    organisers(Word::Anomalies, "anomalies", &[], "anomalies"),
    taking(Takes::Selection, organisers(Word::Release, "release", &[], "release")),
    taking(
        Takes::Selection,
        organisers(Word::Invalidate, "invalidate", &[], "invalidate"),
    ),
    command(
        Word::StopUpdates,
        "stop",
        &["updates off", "stop updates", "unsubscribe", "no more updates"],
        in_menus("stop"),
    ),
    command(
        Word::UpdatesOn,
        "updates on",
        &["updates_on", "start updates", "resume updates"],
        TYPED_ONLY,
    ),
    command(Word::Updates, "updates", &[], in_menus("updates")),
    taking(Takes::Text, organisers(Word::Update, "update", &[], "update")),
    organisers(
        Word::CancelUpdate,
        "cancelupdate",
        &[
            "cancel update",
            "cancel-update",
            "cancel_update",
            "cancel the update",
            "stop update",
            "stop the update",
        ],
        "cancel-update",
    ),
    organisers(Word::Close, "close", &["close the petition"], "close"),
    organisers(Word::Reopen, "reopen", &["reopen the petition"], "reopen"),
    taking(Takes::Number, organisers(Word::Goal, "goal", &[], "goal")),
    Command {
        place: Place::Group,
        takes: Takes::Text,
        ..organisers(Word::Progress, "progress", &[], "progress")
    },
    organisers(Word::Deliver, "deliver", &["delivery", "delivery pack"], "deliver"),
];

/// The answers to a question in hand, and the words that mean each: not
/// commands, so they mean nothing where no question asks for them.
static ANSWERS: [(Word, &str, &[&str]); 6] = [
    (Word::Skip, "skip", &[]),
    (Word::Confirm, "confirm", &["submit"]),
    (Word::Change, "change", &["edit"]),
    (
        Word::Yes,
        "yes",
        &["y", "yes please", "i consent", "i agree", "agree", "ok"],
    ),
    (Word::No, "no", &["n", "no thanks", "no thank you"]),
    (
        Word::Outside,
        "outside",
        &["outside the uk", "abroad", "not in the uk", "i live outside the uk"],
    ),
];

impl Word {
    /// The canonical typed form, also used in button data.
    pub fn as_str(self) -> &'static str {
        if let Some(command) = self.command() {
            return command.name;
        }
        ANSWERS
            .iter()
            .find(|(word, ..)| *word == self)
            .map(|(_, name, _)| *name)
            .expect("every word is a command or an answer")
    }

    /// The word's command, unless it is an answer.
    pub fn command(self) -> Option<&'static Command> {
        COMMANDS.iter().find(|command| command.word == self)
    }

    /// Reads a typed word, case-insensitively, with or without a leading
    /// `/` and trailing punctuation. Only whole messages count: "yes please"
    /// is yes, "yes I am Ann" is not a word.
    pub fn parse(text: &str) -> Option<Word> {
        let text = text.trim().trim_start_matches('/');
        let text = text.trim_end_matches(['.', '!', '?']).trim().to_lowercase();
        let means = |name: &str, also: &[&str]| name == text || also.contains(&text.as_str());
        COMMANDS
            .iter()
            .find(|command| means(command.name, command.also))
            .map(|command| command.word)
            .or_else(|| {
                ANSWERS
                    .iter()
                    .find(|(_, name, also)| means(name, also))
                    .map(|(word, ..)| *word)
            })
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

impl Command {
    /// The command named `name` (as typed after a slash, without it), if
    /// there is one.
    pub fn named(name: &str) -> Option<&'static Command> {
        COMMANDS.iter().find(|command| command.name.eq_ignore_ascii_case(name))
    }

    /// The command a Discord slash command of `name` stands for.
    pub fn on_discord(name: &str) -> Option<&'static Command> {
        COMMANDS.iter().find(|command| command.offered.discord == Some(name))
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
    fn every_command_and_answer_parses_back_from_its_name_and_each_word_of_it() {
        for command in &COMMANDS {
            assert_eq!(Word::parse(command.name), Some(command.word), "{}", command.name);
            for also in command.also {
                assert_eq!(Word::parse(also), Some(command.word), "{also}");
            }
        }
        for (word, name, also) in &ANSWERS {
            assert_eq!(Word::parse(name), Some(*word));
            assert_eq!(word.as_str(), *name);
            for also in *also {
                assert_eq!(Word::parse(also), Some(*word), "{also}");
            }
        }
    }

    #[test]
    fn each_word_is_declared_once_and_no_two_share_a_name() {
        let mut words: Vec<Word> = COMMANDS.iter().map(|c| c.word).collect();
        words.extend(ANSWERS.iter().map(|(word, ..)| *word));
        let mut names: Vec<&str> = COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.also.iter().copied()))
            .collect();
        names.extend(
            ANSWERS
                .iter()
                .flat_map(|(_, name, also)| std::iter::once(*name).chain(also.iter().copied())),
        );
        for (i, word) in words.iter().enumerate() {
            assert!(!words[i + 1..].contains(word), "{word:?} is declared twice");
        }
        for (i, name) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(name), "{name:?} means two words");
        }
    }

    #[test]
    fn menu_names_keep_to_what_the_platforms_accept() {
        for command in &COMMANDS {
            if command.offered.telegram_menu {
                // Telegram: 1-32 characters, lowercase letters, digits and underscores.
                assert!(
                    (1..=32).contains(&command.name.len())
                        && command
                            .name
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{}",
                    command.name
                );
            }
            if let Some(name) = command.offered.discord {
                assert!(
                    (1..=32).contains(&name.len())
                        && name
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'),
                    "{name}"
                );
            }
        }
    }
}
