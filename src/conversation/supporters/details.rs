//! Name, email and postcode sent in one message, each on its own line (or
//! on one line, separated by commas): the quickest way to sign in a chat,
//! which the welcome offers. Read as a form would be (see
//! `signing.rs`), so each part is checked as if typed at its own step.
//!
//! ```text
//! > Ada Lovelace
//! > ada@example.org
//! > SW1A 1AA
//! < (the consent wording) Do you give this consent? [Yes, I consent] [No]
//! ```

use crate::conversation::{FormAnswers, FormConsent};

/// The details in `text`, when it reads as them: two or three parts, one
/// (and only one) of them an email address; the name is the first of the
/// others and where they live the second. Anything else is not details.
pub(in crate::conversation) fn read(text: &str) -> Option<FormAnswers> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let parts: Vec<&str> = if lines.len() >= 2 {
        lines
    } else {
        text.split([',', ';'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect()
    };
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let is_email = |part: &&&str| part.contains('@') && !part.contains(char::is_whitespace);
    let mut emails = parts.iter().filter(is_email);
    let email = *emails.next()?;
    if emails.next().is_some() {
        return None;
    }
    let mut others = parts.iter().filter(|part| !is_email(part));
    let name = *others.next()?;
    let location = others.next().copied().unwrap_or("");
    Some(FormAnswers {
        campaign: None,
        name: name.to_owned(),
        email: email.to_owned(),
        location: location.to_owned(),
        consent: FormConsent::NotAsked,
        updates: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(answers: FormAnswers) -> (String, String, String) {
        (answers.name, answers.email, answers.location)
    }

    fn owned(name: &str, email: &str, location: &str) -> (String, String, String) {
        (name.to_owned(), email.to_owned(), location.to_owned())
    }

    #[test]
    fn three_lines_or_three_comma_separated_parts_are_details() {
        assert_eq!(
            read("Ada Lovelace\nada@example.org\nSW1A 1AA").map(parts),
            Some(owned("Ada Lovelace", "ada@example.org", "SW1A 1AA"))
        );
        assert_eq!(
            read(" Ada Lovelace , ada@example.org, France ").map(parts),
            Some(owned("Ada Lovelace", "ada@example.org", "France"))
        );
        assert_eq!(
            read("ada@example.org\nAda Lovelace\n\nN1 9GU").map(parts),
            Some(owned("Ada Lovelace", "ada@example.org", "N1 9GU")),
            "in any order, blank lines ignored"
        );
    }

    #[test]
    fn a_name_and_an_email_leave_where_they_live_to_be_asked() {
        assert_eq!(
            read("Ada Lovelace\nada@example.org").map(parts),
            Some(owned("Ada Lovelace", "ada@example.org", ""))
        );
    }

    #[test]
    fn anything_else_is_not_details() {
        for text in [
            "Ada Lovelace",
            "ada@example.org",
            "hello, how are you",
            "Ada\nada@example.org\nSW1A 1AA\nmore",
            "a@b.org\nc@d.org\nSW1A 1AA",
            "yes",
        ] {
            assert!(read(text).is_none(), "{text:?}");
        }
    }
}
