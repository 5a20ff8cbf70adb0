use rand::Rng;

/// A signer's personal share code. Whoever starts the bot with it is credited
/// to the signer as a referral, which lets organisers see which shares work.
///
/// Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L), so
/// it can be read aloud or retyped; it fits a Telegram deep-link payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShareCode(String);

const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

impl ShareCode {
    /// Characters in a code.
    pub const LEN: usize = 8;

    /// A fresh random code.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        Self(
            (0..Self::LEN)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect(),
        )
    }

    /// Reads a code someone typed or followed a link with; `None` if it cannot
    /// be a code (the referral is then ignored, never an error).
    pub fn parse(raw: &str) -> Option<Self> {
        let code = raw.trim().to_ascii_uppercase();
        (code.len() == Self::LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(Self(code))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back() {
        for _ in 0..100 {
            let code = ShareCode::generate();
            assert_eq!(ShareCode::parse(code.as_str()), Some(code));
        }
    }

    #[test]
    fn codes_are_case_insensitive_and_strict() {
        assert_eq!(ShareCode::parse("abcdefgh").unwrap().as_str(), "ABCDEFGH");
        assert!(ShareCode::parse("ABCDEFG").is_none());
        assert!(ShareCode::parse("ABCDEFG0").is_none());
        assert!(ShareCode::parse("ABCD-FGH").is_none());
    }
}
