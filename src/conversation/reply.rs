//! What the engine says back, as data. Adapters decide how it looks: buttons
//! or typed words, one message or several, a link or a code.

/// One message from the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The message text: plain text, paragraphs separated by blank lines.
    /// Adapters split it where a platform's limit requires.
    pub text: String,
    /// Choices to offer as buttons, in order. Each can also be typed.
    pub choices: Vec<Choice>,
    /// Who may see it.
    pub visibility: Visibility,
    /// A file to send with the message (an export).
    pub attachment: Option<Attachment>,
    /// A link the adapter builds for its platform.
    pub link: Option<Link>,
    /// Where the reply belongs relative to the message that prompted it.
    pub placement: Placement,
    /// Set when the question can be answered by a form (name, email and
    /// where you live at once), with the answers given so far.
    pub form: Option<Form>,
    /// The campaign at a glance, on replies that present it publicly, for
    /// platforms that can show it richly.
    pub summary: Option<Summary>,
    /// The question asks for a long, free text of up to this many
    /// characters (an organiser's update): adapters with forms may offer a
    /// box for it, whose text comes back as typed text.
    pub long_answer: Option<usize>,
    /// What was wrong with a submitted form, field by field, for adapters
    /// that show each beside its field (the text says it all as well).
    pub problems: Vec<FieldProblem>,
    /// The address of a web form to sign with, for platforms that can open
    /// one inside the chat (Telegram's Mini Apps).
    pub form_app: Option<String>,
    /// The reply may be answered with name, email and where they live in
    /// one message, which is the quickest way to sign where typing is how
    /// one answers: adapters of such platforms say so.
    pub takes_details: bool,
}

/// A field of a signing form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    /// The name.
    Name,
    /// The email address.
    Email,
    /// The postcode or country.
    Location,
    /// The consent box.
    Consent,
}

impl FormField {
    /// The field's name in a web form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Location => "location",
            Self::Consent => "consent",
        }
    }
}

/// What was wrong with one field of a submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field.
    pub field: FormField,
    /// What to tell the supporter, beside the field.
    pub text: String,
}

/// A form a platform may show instead of asking one question at a time:
/// its fields' current values. Submitted back as [`super::Input::Form`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form {
    /// The name given so far.
    pub name: String,
    /// The email given so far.
    pub email: String,
    /// The postcode district or country given so far.
    pub location: String,
    /// Whether the email may be left empty.
    pub email_optional: bool,
}

/// A campaign at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The headline.
    pub title: String,
    /// What signers ask for.
    pub statement: String,
    /// Who it is addressed to, as a phrase.
    pub addressed_to: String,
    /// Who started it.
    pub author: String,
    /// Signatures so far.
    pub total: u64,
    /// Signatures aimed for.
    pub goal: u64,
}

/// Where a platform may put a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// A message of its own.
    #[default]
    NewMessage,
    /// The answer to a button just pressed, which moved the conversation on:
    /// it may replace the message that offered the button, whose choices are
    /// now stale. Saves a message per step where a platform can edit.
    InPlaceOfChoice,
    /// A short notice about the button itself (it has expired); a platform
    /// may show it as a passing notification rather than a message.
    Notice,
}

/// Who may see a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Only the person the engine is talking to.
    Private,
    /// Everyone in the chat it was asked in; never carries personal data.
    Public,
}

/// A choice offered with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The button's label.
    pub label: String,
    /// What the adapter sends back as [`super::Input::Choice`] when it is
    /// picked; at most 64 bytes, so it fits Telegram's callback data.
    pub data: String,
    /// The word a supporter can type instead of pressing the button.
    pub typed: String,
}

/// A file sent with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Suggested file name.
    pub file_name: String,
    /// Its media type, such as `text/csv`.
    pub media_type: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A link into the bot that each platform writes its own way (a Telegram
/// deep link, a Discord button). The payload is at most 64 characters of
/// `A-Za-z0-9_-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A signer's personal link to pass on; whoever starts with it is
    /// credited to them.
    Share {
        /// The start payload: campaign slug and share code.
        payload: String,
        /// The share code alone, for platforms without deep links.
        code: String,
    },
    /// From a group, an invitation to sign in private.
    SignPrivately {
        /// The start payload: the campaign slug.
        payload: String,
    },
}

impl Reply {
    /// A private reply with no choices.
    pub fn private(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            choices: Vec::new(),
            visibility: Visibility::Private,
            attachment: None,
            link: None,
            placement: Placement::NewMessage,
            form: None,
            summary: None,
            long_answer: None,
            problems: Vec::new(),
            form_app: None,
            takes_details: false,
        }
    }

    /// A reply that others in a group may read.
    pub fn public(text: impl Into<String>) -> Self {
        Self {
            visibility: Visibility::Public,
            ..Self::private(text)
        }
    }

    /// Adds choices.
    pub fn with_choices(mut self, choices: Vec<Choice>) -> Self {
        self.choices = choices;
        self
    }

    /// Adds a link.
    pub fn with_link(mut self, link: Link) -> Self {
        self.link = Some(link);
        self
    }

    /// Asks for a long free text.
    pub fn with_long_answer(mut self, max_chars: usize) -> Self {
        self.long_answer = Some(max_chars);
        self
    }

    /// Offers a web form to sign with.
    pub fn with_form_app(mut self, url: Option<String>) -> Self {
        self.form_app = url;
        self
    }

    /// Offers a form.
    pub fn with_form(mut self, form: Form) -> Self {
        self.form = Some(form);
        self
    }

    /// Adds a summary of the campaign.
    pub fn with_summary(mut self, summary: Summary) -> Self {
        self.summary = Some(summary);
        self
    }

    /// Adds a file.
    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.attachment = Some(attachment);
        self
    }

    /// Puts `before` in front of this reply's text, as its own paragraph.
    pub fn prefixed(mut self, before: impl std::fmt::Display) -> Self {
        self.text = format!("{before}\n\n{}", self.text);
        self
    }
}
