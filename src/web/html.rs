//! Writing HTML safely: every text that reaches a page passes through
//! [`escape`], and every page shares one shell (language, viewport, the
//! stylesheet and scripts from this server only).

use std::fmt::Write;

/// `text` with the characters that mean something in HTML (in text and in
/// quoted attributes) written as entities.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Plain text with paragraphs separated by blank lines, as `<p>`s (single
/// line breaks kept as `<br>`).
pub(super) fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = paragraph.lines().map(escape).collect();
        write!(out, "<p>{}</p>", lines.join("<br>")).expect("writing to a string cannot fail");
    }
    out
}

/// What goes into a page's `<head>` beyond the shell's own.
#[derive(Default)]
pub(super) struct Head {
    /// The page's title.
    pub title: String,
    /// Its description, for search engines and link previews.
    pub description: String,
    /// Its address, for link previews.
    pub url: Option<String>,
    /// Scripts of this server's, by path.
    pub scripts: Vec<&'static str>,
}

/// A whole page: `body` inside the shell.
pub(super) fn page(language: &str, head: &Head, body_class: &str, body: &str) -> String {
    let title = escape(&head.title);
    let description = escape(&head.description);
    let mut out = String::with_capacity(body.len() + 2048);
    write!(
        out,
        "<!doctype html>\n<html lang=\"{language}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<meta name=\"description\" content=\"{description}\">\n\
         <meta property=\"og:type\" content=\"website\">\n\
         <meta property=\"og:title\" content=\"{title}\">\n\
         <meta property=\"og:description\" content=\"{description}\">\n\
         <meta name=\"twitter:card\" content=\"summary\">\n\
         <meta name=\"twitter:title\" content=\"{title}\">\n\
         <meta name=\"twitter:description\" content=\"{description}\">\n"
    )
    .expect("writing to a string cannot fail");
    if let Some(url) = &head.url {
        writeln!(out, "<meta property=\"og:url\" content=\"{}\">", escape(url)).expect("infallible");
    }
    // No icon: browsers would otherwise ask for /favicon.ico.
    out.push_str("<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n");
    for script in &head.scripts {
        writeln!(out, "<script src=\"{script}\" defer></script>").expect("infallible");
    }
    write!(
        out,
        "</head>\n<body class=\"{body_class}\">\n{body}\n</body>\n</html>\n"
    )
    .expect("infallible");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_written_as_text() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn blank_lines_make_paragraphs() {
        assert_eq!(
            paragraphs("One\ntwo\n\n<b>Three</b>\n\n"),
            "<p>One<br>two</p><p>&lt;b&gt;Three&lt;/b&gt;</p>"
        );
    }
}
