//! The fixed words the metrics' labels are made of: what a message was, a
//! limit, a refusal, a failure, an outbox delivery. Each recording function
//! takes one of these, never free text, so no label can carry personal data.

use crate::domain::Platform;

/// What a message handed to the engine was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Typed text, including commands.
    Text,
    /// A button pressed.
    Button,
    /// A start, with or without a start link's payload.
    Start,
    /// A submitted form.
    Form,
}

impl InputKind {
    /// Every kind of input.
    pub const ALL: [InputKind; 4] = [InputKind::Text, InputKind::Button, InputKind::Start, InputKind::Form];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            InputKind::Text => "text",
            InputKind::Button => "button",
            InputKind::Start => "start",
            InputKind::Form => "form",
        }
    }
}

/// A limit that stopped or held something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A person's messages came faster than the per-person rate.
    MessageRate,
    /// A person tried to sign more often than a campaign allows a day.
    SigningAttempts,
    /// A campaign's signatures came faster than its surge ceiling.
    Surge,
    /// A chat had as many messages waiting to be handled as it may.
    ChatQueue,
}

impl Limit {
    /// Every limit.
    pub const ALL: [Limit; 4] = [
        Limit::MessageRate,
        Limit::SigningAttempts,
        Limit::Surge,
        Limit::ChatQueue,
    ];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Limit::MessageRate => "message_rate",
            Limit::SigningAttempts => "signing_attempts",
            Limit::Surge => "surge",
            Limit::ChatQueue => "chat_queue",
        }
    }
}

/// Why a signature was turned away by the storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The account signed before.
    AlreadySigned,
    /// The email signed before, from another account.
    EmailUsed,
}

impl Refusal {
    /// Every refusal.
    pub const ALL: [Refusal; 2] = [Refusal::AlreadySigned, Refusal::EmailUsed];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Refusal::AlreadySigned => "already_signed",
            Refusal::EmailUsed => "email_used",
        }
    }
}

/// A failure worth counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A message could not be answered because the storage failed.
    Storage,
    /// A group-commit batch failed, every write in it with it.
    StorageBatch,
    /// A message could not be answered for another reason (an export, the
    /// delivery pack).
    Internal,
    /// A platform refused a message, or could not be reached to send one.
    Send(Platform),
    /// Updates could not be fetched (Telegram) or the gateway connection
    /// ended (Discord).
    Receive(Platform),
}

impl ErrorKind {
    /// Every kind of failure.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Storage,
        ErrorKind::StorageBatch,
        ErrorKind::Internal,
        ErrorKind::Send(Platform::Telegram),
        ErrorKind::Send(Platform::Discord),
        ErrorKind::Send(Platform::Console),
        ErrorKind::Receive(Platform::Telegram),
        ErrorKind::Receive(Platform::Discord),
        ErrorKind::Receive(Platform::Console),
    ];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Storage => "storage",
            ErrorKind::StorageBatch => "storage_batch",
            ErrorKind::Internal => "internal",
            ErrorKind::Send(Platform::Telegram) => "telegram_send",
            ErrorKind::Send(Platform::Discord) => "discord_send",
            ErrorKind::Send(Platform::Console) => "console_send",
            ErrorKind::Receive(Platform::Telegram) => "telegram_receive",
            ErrorKind::Receive(Platform::Discord) => "discord_receive",
            ErrorKind::Receive(Platform::Console) => "console_receive",
        }
    }
}

/// What became of an update handed to a platform by the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Accepted.
    Sent,
    /// The recipient blocked the bot or refuses direct messages.
    Unreachable,
    /// Rate limited or failed for now; tried again later.
    Retry,
    /// Given up on.
    Failed,
}

impl Delivered {
    /// Every outcome.
    pub const ALL: [Delivered; 4] = [
        Delivered::Sent,
        Delivered::Unreachable,
        Delivered::Retry,
        Delivered::Failed,
    ];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Delivered::Sent => "sent",
            Delivered::Unreachable => "unreachable",
            Delivered::Retry => "retry",
            Delivered::Failed => "failed",
        }
    }
}
