/// An email address in its normalised form: lower-cased, and for providers
/// that deliver `a.b+tag@` to `ab@`, with the dots and tag removed.
///
/// The normalised form is what is stored and compared, so one person is
/// counted once however they spell their address; it still delivers to the
/// same mailbox, so nothing more needs to be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// Providers that ignore dots in the local part and anything after `+`.
const IGNORE_DOTS_AND_TAGS: &[&str] = &["gmail.com", "googlemail.com"];
/// Providers that ignore anything after `+` but treat dots as significant.
const IGNORE_TAGS: &[&str] = &[
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "live.co.uk",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "fastmail.com",
    "fastmail.fm",
];

impl Email {
    /// Longest address accepted (RFC 5321's limit on a forward path).
    pub const MAX_LEN: usize = 254;

    /// Checks the syntax of an address as typed and normalises it.
    pub fn parse(raw: &str) -> Result<Self, EmailRejection> {
        let typed = raw.trim().to_lowercase();
        if typed.is_empty() {
            return Err(EmailRejection::Missing);
        }
        if typed.len() > Self::MAX_LEN {
            return Err(EmailRejection::TooLong);
        }
        let (local, domain) = typed.split_once('@').ok_or(EmailRejection::Malformed)?;
        if !valid_local_part(local) || !valid_domain(domain) {
            return Err(EmailRejection::Malformed);
        }
        let domain = if domain == "googlemail.com" {
            "gmail.com"
        } else {
            domain
        };
        let local = if IGNORE_DOTS_AND_TAGS.contains(&domain) {
            strip_tag(local).replace('.', "")
        } else if IGNORE_TAGS.contains(&domain) {
            strip_tag(local).to_owned()
        } else {
            local.to_owned()
        };
        if local.is_empty() {
            return Err(EmailRejection::Malformed);
        }
        Ok(Self(format!("{local}@{domain}")))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, for breakdowns by provider.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// Wraps an address read back from storage, which was normalised when stored.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// Why an email address was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailRejection {
    /// Nothing typed.
    Missing,
    /// Longer than [`Email::MAX_LEN`].
    TooLong,
    /// Not shaped like an address.
    Malformed,
}

fn strip_tag(local: &str) -> &str {
    local.split('+').next().unwrap_or(local)
}

fn valid_local_part(local: &str) -> bool {
    const ALLOWED: &str = "!#$%&'*+/=?^_`{|}~-.";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || ALLOWED.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| valid_top_level(tld))
}

/// An ordinary top-level domain is letters only (`org`, `uk`); an
/// internationalised one (`рф`) travels in its ASCII form, `xn--` and then
/// letters, digits and hyphens (`xn--p1ai`).
fn valid_top_level(tld: &str) -> bool {
    match tld.strip_prefix("xn--") {
        Some(encoded) => !encoded.is_empty() && encoded.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        None => tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_lower_cased_and_trimmed() {
        assert_eq!(Email::parse("  Ada@Example.ORG ").unwrap().as_str(), "ada@example.org");
    }

    #[test]
    fn gmail_dots_and_tags_are_removed() {
        assert_eq!(
            Email::parse("Ada.Love.Lace+petition@googlemail.com").unwrap().as_str(),
            "adalovelace@gmail.com"
        );
        assert_eq!(
            Email::parse("ada.lovelace@gmail.com").unwrap(),
            Email::parse("adalovelace+x@gmail.com").unwrap()
        );
    }

    #[test]
    fn tags_are_removed_only_where_the_provider_ignores_them() {
        assert_eq!(Email::parse("a.b+x@outlook.com").unwrap().as_str(), "a.b@outlook.com");
        assert_eq!(Email::parse("a.b+x@example.com").unwrap().as_str(), "a.b+x@example.com");
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for raw in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada lovelace@example.com",
            "ada@exa mple.com",
            ".ada@example.com",
            "ada..l@example.com",
            "ada@-example.com",
            "ada@example.c0m",
            "+tag@gmail.com",
        ] {
            assert_eq!(Email::parse(raw), Err(EmailRejection::Malformed), "{raw:?}");
        }
    }

    #[test]
    fn an_empty_answer_is_told_apart_from_a_malformed_one() {
        assert_eq!(Email::parse(""), Err(EmailRejection::Missing));
        assert_eq!(Email::parse("   "), Err(EmailRejection::Missing));
    }

    #[test]
    fn punycode_top_level_domains_are_accepted() {
        assert_eq!(
            Email::parse("Ivan@XN--E1AFMKFD.XN--P1AI").unwrap().as_str(),
            "ivan@xn--e1afmkfd.xn--p1ai"
        );
        assert!(Email::parse("ivan@example.xn--p1ai").is_ok());
        assert!(Email::parse("li@example.xn--fiqs8s").is_ok());
        assert!(Email::parse("x@example.xn--mgbaam7a8h").is_ok());
    }

    #[test]
    fn only_punycode_top_level_domains_may_hold_digits() {
        for raw in [
            "ivan@example.xn--",
            "ivan@example.xn---",
            "ivan@example.xn--p1ai-",
            "ivan@example.xy--p1ai",
            "ivan@example.p1ai",
            "ivan@example.1ai",
            "ivan@example.xn--p1ai.",
            "ivan@example.xn--p_ai",
        ] {
            assert_eq!(Email::parse(raw), Err(EmailRejection::Malformed), "{raw:?}");
        }
    }

    #[test]
    fn overlong_addresses_are_rejected() {
        let raw = format!("{}@example.com", "a".repeat(65));
        assert_eq!(
            Email::parse(&raw),
            Err(EmailRejection::Malformed),
            "a local part over 64"
        );
        let raw = format!("ada@{}.com", "a".repeat(Email::MAX_LEN));
        assert_eq!(Email::parse(&raw), Err(EmailRejection::TooLong));
    }

    #[test]
    fn the_domain_is_available_for_breakdowns() {
        assert_eq!(Email::parse("x@Mail.Example.org").unwrap().domain(), "mail.example.org");
    }
}
