//! Engine replies as Telegram messages: text split under Telegram's limit,
//! choices as inline buttons, links as `t.me` deep links.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use url::Url;

use crate::conversation::{Link, Reply};

/// Longest text Telegram accepts in one message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Longest caption on a document, in characters.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Buttons on one keyboard row.
const BUTTONS_PER_ROW: usize = 2;

/// Splits text into messages of at most `limit` characters, at paragraph
/// boundaries where possible, then at line breaks, then between words, and
/// only as a last resort inside a word.
pub fn split_text(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for paragraph in text.split("\n\n") {
        for piece in split_long(paragraph, limit) {
            let joined_len = current.chars().count() + 2 + piece.chars().count();
            if current.is_empty() {
                current = piece;
            } else if joined_len <= limit {
                current.push_str("\n\n");
                current.push_str(&piece);
            } else {
                parts.push(std::mem::replace(&mut current, piece));
            }
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// One paragraph in pieces of at most `limit` characters.
fn split_long(paragraph: &str, limit: usize) -> Vec<String> {
    if paragraph.chars().count() <= limit {
        return vec![paragraph.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    // Break after newlines and spaces, keeping the separator with the word
    // before it.
    for word in paragraph.split_inclusive(['\n', ' ']) {
        let word_len = word.chars().count();
        if current_len + word_len > limit && !current.is_empty() {
            pieces.push(current.trim_end().to_owned());
            current.clear();
            current_len = 0;
        }
        if word_len > limit {
            // A single "word" longer than a message: cut it.
            let chars: Vec<char> = word.chars().collect();
            for chunk in chars.chunks(limit) {
                pieces.push(chunk.iter().collect());
            }
            continue;
        }
        current.push_str(word);
        current_len += word_len;
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim_end().to_owned());
    }
    pieces
}

/// The `t.me` link that opens a private chat with the bot, carrying a
/// start payload.
pub fn deep_link(bot_username: &str, payload: &str) -> Url {
    let mut url = Url::parse("https://t.me/").expect("a valid base");
    url.set_path(bot_username);
    url.query_pairs_mut().append_pair("start", payload);
    url
}

/// The text and keyboard of a reply, for `bot_username`. A share link is
/// written into the text (so it can be copied) and offered as a button that
/// opens Telegram's share sheet.
pub fn render(reply: &Reply, bot_username: &str) -> (String, Option<InlineKeyboardMarkup>) {
    let mut text = reply.text.clone();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = reply
        .choices
        .chunks(BUTTONS_PER_ROW)
        .map(|row| {
            row.iter()
                .map(|choice| InlineKeyboardButton::callback(choice.label.clone(), choice.data.clone()))
                .collect()
        })
        .collect();
    match &reply.link {
        Some(Link::Share { payload, .. }) => {
            let link = deep_link(bot_username, payload);
            text.push_str(&format!("\n\nYour link: {link}"));
            let share = Url::parse_with_params(
                "https://t.me/share/url",
                &[("url", link.as_str()), ("text", "Please sign this petition too")],
            )
            .expect("a valid share URL");
            rows.push(vec![InlineKeyboardButton::url("Share the petition", share)]);
        }
        Some(Link::SignPrivately { payload }) => {
            rows.push(vec![InlineKeyboardButton::url(
                "Sign in a private chat",
                deep_link(bot_username, payload),
            )]);
        }
        None => {}
    }
    let keyboard = (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows));
    (text, keyboard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_message() {
        assert_eq!(split_text("Hello\n\nWorld", 4096), ["Hello\n\nWorld"]);
    }

    #[test]
    fn long_text_splits_at_paragraphs_under_the_limit() {
        let paragraph = "word ".repeat(300); // 1,500 characters
        let text = [paragraph.trim(); 5].join("\n\n");
        let parts = split_text(&text, 4096);
        assert_eq!(parts.len(), 3, "two paragraphs fit a message, three do not");
        assert!(parts.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(parts.join("\n\n"), text, "nothing is lost or reordered");
        assert!(parts[0].ends_with("word") && parts[1].starts_with("word"));
    }

    #[test]
    fn an_overlong_paragraph_splits_between_words() {
        let text = "abcdefghi ".repeat(1000);
        let parts = split_text(text.trim(), 4096);
        assert!(parts.len() >= 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 4096));
        assert!(parts.iter().all(|p| !p.starts_with(' ') && !p.ends_with(' ')));
        assert_eq!(parts.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let text = "é".repeat(5000);
        let parts = split_text(&text, 4096);
        assert_eq!(parts[0].chars().count(), 4096);
        assert_eq!(parts[1].chars().count(), 904);
    }

    #[test]
    fn deep_links_carry_the_payload() {
        assert_eq!(
            deep_link("PetitionBot", "keep-the-unit-open__ABCDEFGH").as_str(),
            "https://t.me/PetitionBot?start=keep-the-unit-open__ABCDEFGH"
        );
    }
}
