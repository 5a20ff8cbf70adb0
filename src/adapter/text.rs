//! Text fitted to a platform's limit on the length of one message.

/// Splits text into messages of at most `limit` characters, at paragraph
/// boundaries where possible, then at line breaks, then between words, and
/// only as a last resort inside a word. Always at least one part (an empty
/// one for empty text), so the last part can carry a reply's buttons.
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
    fn empty_text_is_one_empty_part() {
        assert_eq!(split_text("", 2000), [""]);
    }
}
