//! The digest of the signatory list, printed as the pack's last line and by
//! `petition deliver --digest`, so that a recipient can check the printed
//! list against the electronic one.
//!
//! The canonical form is one line per signatory, in signing order:
//!
//! ```text
//! N<TAB>name<TAB>district-or-country<LF>
//! ```
//!
//! where `N` is the signatory's number (from 1, decimal, no padding), `name`
//! is the name as printed, and `district-or-country` the UK postcode
//! district (`SW1A`) or, for signers outside the UK, the country's name
//! (`France`); the whole text in Unicode NFC, encoded as UTF-8. The digest
//! is SHA-256 of those bytes, written as 64 lowercase hexadecimal digits.
//! Names and countries never hold a tab or a line break ([`crate::domain::SignerName`]
//! refuses control characters), so the form is unambiguous.
//!
//! For example, two signatories give the bytes
//! `1\tAda Lovelace\tSW1A\n2\tZoë\tFrance\n`, and `sha256sum` of those
//! bytes is the digest.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::Signatory;

/// The SHA-256 of the list's canonical form, in lowercase hex.
pub fn digest(signatories: &[Signatory<'_>]) -> String {
    let mut hasher = Sha256::new();
    let mut line = String::new();
    for (index, signatory) in signatories.iter().enumerate() {
        line.clear();
        canonical_line(index + 1, signatory, &mut line);
        hasher.update(line.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Appends signatory `number`'s line of the canonical form to `out`.
pub fn canonical_line(number: usize, signatory: &Signatory<'_>, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "{number}\t");
    out.extend(signatory.name.nfc());
    out.push('\t');
    out.extend(signatory.place.nfc());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signatory<'a>(name: &'a str, place: &'a str) -> Signatory<'a> {
        Signatory {
            name,
            place,
            in_uk: true,
            day: chrono::NaiveDate::MIN,
        }
    }

    #[test]
    fn the_digest_is_sha256_of_numbered_tab_separated_lines() {
        let list = [signatory("Ada Lovelace", "SW1A"), signatory("Zoë", "France")];
        // printf '1\tAda Lovelace\tSW1A\n2\tZoë\tFrance\n' | sha256sum
        let expected = {
            let mut hasher = Sha256::new();
            hasher.update("1\tAda Lovelace\tSW1A\n2\tZoë\tFrance\n".as_bytes());
            hasher.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        assert_eq!(digest(&list), expected);
        assert_eq!(expected.len(), 64);
    }

    #[test]
    fn names_are_compared_in_nfc() {
        let composed = [signatory("Zo\u{eb}", "N1")];
        let decomposed = [signatory("Zoe\u{308}", "N1")];
        assert_eq!(digest(&composed), digest(&decomposed));
    }

    #[test]
    fn order_and_every_field_count() {
        let list = [signatory("A", "N1"), signatory("B", "N2")];
        let swapped = [signatory("B", "N2"), signatory("A", "N1")];
        let moved = [signatory("A", "N1"), signatory("B", "N3")];
        assert_ne!(digest(&list), digest(&swapped));
        assert_ne!(digest(&list), digest(&moved));
        assert_ne!(digest(&list), digest(&list[..1]));
    }
}
