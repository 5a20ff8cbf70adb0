//! The English of a campaign's life (see [`crate::messages::LifecycleMessage`]).

use std::fmt::{self, Formatter};

use super::words::{Counted, Day, Targets, Thousands};
use crate::messages::LifecycleMessage;

pub(super) fn write_lifecycle(message: &LifecycleMessage<'_>, f: &mut Formatter<'_>) -> fmt::Result {
    use LifecycleMessage as L;
    match *message {
        L::NotOpenYet { title, opens } => write!(
            f,
            "\"{title}\" opens for signatures on {}. Please come back then; send article to read about it meanwhile.",
            super::words::Moment(opens)
        ),
        L::Closed {
            title,
            total,
            targets,
            on,
        } => write!(
            f,
            "\"{title}\" closed on {} with {}, so it can no longer be signed. It is being delivered to {}. You can still see what we hold about you with mydata, and withdraw.",
            Day(on),
            Counted(total, "signature"),
            Targets(targets)
        ),
        L::Announcement { title, total, targets } => write!(
            f,
            "\"{title}\" is now closed, with {}. Thank you to everyone who signed. It will be delivered to {}.",
            Counted(total, "signature"),
            Targets(targets)
        ),
        L::AskToClose { title, total } => {
            write!(f, "Close \"{title}\" now")?;
            if let Some(total) = total {
                write!(f, ", with {}", Counted(total, "signature"))?;
            }
            f.write_str("? Nobody will be able to sign after this; the closing is announced in the campaign's chats and to signers who asked for updates. You can reopen it until it is delivered. (yes or no)")
        }
        L::ClosedNow { title, total } => write!(
            f,
            "\"{title}\" is closed, with {}. The closing is being announced. Make the delivery pack with deliver.",
            Counted(total, "signature")
        ),
        L::AlreadyClosed { title } => write!(f, "\"{title}\" is already closed. Send reopen to open it again."),
        L::Reopened { title } => write!(f, "\"{title}\" is open for signatures again."),
        L::NotClosed { title } => write!(f, "\"{title}\" is open; there is nothing to reopen."),
        L::AlreadyDelivered { title } => write!(f, "\"{title}\" has been delivered, so it cannot be reopened."),
        L::AlreadyAnonymisedCannotReopen { title } => write!(
            f,
            "\"{title}\" cannot be reopened: its signers have been forgotten, so nothing would stop someone who signed from signing again and being counted twice."
        ),
        L::Anonymised { title, on } => write!(
            f,
            "The signatures on \"{title}\" were anonymised on {}: only the day, the postcode district or country and the platform of each are kept, so nothing we hold identifies you.",
            Day(on)
        ),
        L::WouldAnonymise { title, count, due } => {
            write!(
                f,
                "\"{title}\": {} still holding personal data",
                Counted(count, "signature")
            )?;
            match due {
                Some(due) => write!(f, "; due to be anonymised on {}.", Day(due)),
                None => f.write_str("; it has not closed, so none is due to be anonymised."),
            }
        }
        L::AnonymisedNow { title, count } => write!(f, "\"{title}\": {} anonymised.", Thousands(count)),
    }
}
