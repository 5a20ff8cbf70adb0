use unicode_normalization::UnicodeNormalization;

use super::countries::COUNTRIES;
use super::{contains_link, is_invisible_or_bidi};

/// What is kept of a British Forces Post Office address. The number after
/// `BFPO` names a unit, which is narrower than a district, so like the
/// inward code of a postcode it is checked and then dropped.
const BFPO: &str = "BFPO";

/// Where a signer lives, as coarsely as the petition needs: the postcode
/// district (the outward code, `SW1A`) for the UK, otherwise a country name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A UK postcode district.
    Uk(PostcodeDistrict),
    /// A country outside the UK, as the signer named it.
    Abroad(Country),
}

impl Location {
    /// The district for UK signers.
    pub fn district(&self) -> Option<&str> {
        match self {
            Location::Uk(district) => Some(district.as_str()),
            Location::Abroad(_) => None,
        }
    }

    /// The country for signers outside the UK.
    pub fn country(&self) -> Option<&str> {
        match self {
            Location::Uk(_) => None,
            Location::Abroad(country) => Some(country.as_str()),
        }
    }
}

/// The outward code of a UK postcode: `SW1A` from `sw1a 1aa`. The inward
/// code would narrow a signer down to a street, which the petition does not
/// need, so it is checked and then dropped. Forces addresses (`BFPO 1234`)
/// are all kept as `BFPO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostcodeDistrict(String);

impl PostcodeDistrict {
    /// Accepts a full postcode (`SW1A 1AA`) or the district alone (`SW1A`),
    /// or a British Forces Post Office number (`BFPO 1234`, or `BFPO`
    /// alone), in any case and spacing.
    pub fn parse(raw: &str) -> Result<Self, PostcodeRejection> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if compact == "GIR0AA" || compact == "GIR" {
            return Ok(Self("GIR".to_owned()));
        }
        if let Some(number) = compact.strip_prefix(BFPO) {
            return if number.len() <= 4 && number.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Self(BFPO.to_owned()))
            } else {
                Err(PostcodeRejection::Malformed)
            };
        }
        if !compact.is_ascii() {
            return Err(PostcodeRejection::Malformed);
        }
        let outward = if compact.len() >= 5 && valid_inward(&compact[compact.len() - 3..]) {
            &compact[..compact.len() - 3]
        } else {
            compact.as_str()
        };
        if valid_outward(outward) {
            Ok(Self(outward.to_owned()))
        } else {
            Err(PostcodeRejection::Malformed)
        }
    }

    /// What a supporter answers: as [`parse`](Self::parse), except that a
    /// forces address needs its number. `BFPO` alone is the form kept, not
    /// an address anyone has, so a supporter who types only that is asked
    /// for the rest.
    pub fn from_answer(raw: &str) -> Result<Self, PostcodeRejection> {
        let district = Self::parse(raw)?;
        if district.is_forces_post_office() && !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(PostcodeRejection::ForcesNumberMissing);
        }
        Ok(district)
    }

    /// The district, upper-case, without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a British Forces Post Office address (every one is
    /// kept as `BFPO`) rather than a district: the two read differently.
    pub fn is_forces_post_office(&self) -> bool {
        self.0 == BFPO
    }

    /// Wraps a district read back from storage.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// Why a postcode was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostcodeRejection {
    /// Not shaped like a UK postcode, a district or a forces address.
    Malformed,
    /// `BFPO` with no number after it.
    ForcesNumberMissing,
}

/// `9AA`, where the letters are never C, I, K, M, O or V.
fn valid_inward(inward: &str) -> bool {
    let b = inward.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1..].iter().all(|c| c.is_ascii_uppercase() && !b"CIKMOV".contains(c))
}

/// One of A9, A99, AA9, AA99, A9A, AA9A, with the letter rules of the Royal
/// Mail's postcode format.
fn valid_outward(outward: &str) -> bool {
    let b = outward.as_bytes();
    let letter = |c: u8| c.is_ascii_uppercase();
    let digit = |c: u8| c.is_ascii_digit();
    let first = |c: u8| letter(c) && !b"QVX".contains(&c);
    let second = |c: u8| letter(c) && !b"IJZ".contains(&c);
    let third = |c: u8| b"ABCDEFGHJKPSTUW".contains(&c);
    let fourth = |c: u8| b"ABEHMNPRVWXY".contains(&c);
    match b {
        [a, n] => first(*a) && digit(*n),
        [a, n, m] => first(*a) && ((digit(*n) && digit(*m)) || (second(*n) && digit(*m)) || (digit(*n) && third(*m))),
        [a, l, n, m] => first(*a) && second(*l) && digit(*n) && (digit(*m) || fourth(*m)),
        _ => false,
    }
}

/// A country outside the UK, one of the world's countries and territories,
/// stored under its usual English name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country(String);

/// Why a country answer was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryRejection {
    /// The UK or one of its nations: not wrong, but the signer should give a
    /// postcode instead, so callers steer them there rather than re-ask.
    InTheUk,
    /// Nothing like a name: under two characters, or no letter.
    Missing,
    /// Longer than [`Country::MAX_CHARS`].
    TooLong,
    /// Characters no country name has (digits, symbols, hidden characters,
    /// a link).
    NotLetters,
    /// Starts with `= + - @`, which a spreadsheet would run as a formula.
    FormulaStart,
    /// A name that is none of the world's countries and territories.
    Unrecognised,
}

impl Country {
    /// Longest country name accepted, in characters.
    pub const MAX_CHARS: usize = 60;

    /// Checks a country name as typed.
    pub fn parse(raw: &str) -> Result<Self, CountryRejection> {
        let normalised: String = raw.trim().nfc().collect();
        let name = normalised.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.chars().count() < 2 || !name.chars().any(char::is_alphabetic) {
            return Err(CountryRejection::Missing);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(CountryRejection::TooLong);
        }
        let allowed = |c: char| c.is_alphabetic() || " -'.,()’".contains(c);
        if !name.chars().all(allowed) || name.chars().any(is_invisible_or_bidi) || contains_link(&name) {
            return Err(CountryRejection::NotLetters);
        }
        if name.starts_with(['=', '+', '-', '@']) {
            return Err(CountryRejection::FormulaStart);
        }
        let key = match_key(&name);
        if UK_NAMES.contains(&key.as_str()) {
            return Err(CountryRejection::InTheUk);
        }
        COUNTRIES
            .iter()
            .find(|(stored, others)| match_key(stored) == key || others.iter().any(|o| match_key(o) == key))
            .map(|(stored, _)| Self((*stored).to_owned()))
            .ok_or(CountryRejection::Unrecognised)
    }

    /// The country's usual English name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A country saved earlier under its stored name, if the list still has
    /// it. [`Country::parse`] would accept it too, but compares loosely with
    /// every name and alias in the list, which a saved value never needs.
    pub fn from_stored(name: &str) -> Option<Self> {
        COUNTRIES
            .iter()
            .find(|(stored, _)| *stored == name)
            .map(|(stored, _)| Self((*stored).to_owned()))
    }

    /// Wraps a country read back from storage.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// How a country name is compared: case, accents, dots, "the" and spacing
/// do not matter.
fn match_key(name: &str) -> String {
    let plain: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == '’' { '\'' } else { c })
        .filter(|c| *c != '.')
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let words = match words.first() {
        Some(&"the") => &words[1..],
        _ => &words[..],
    };
    words.join(" ")
}

const UK_NAMES: &[&str] = &[
    "uk",
    "united kingdom",
    "great britain",
    "britain",
    "gb",
    "england",
    "scotland",
    "wales",
    "northern ireland",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn district(raw: &str) -> Result<String, PostcodeRejection> {
        PostcodeDistrict::parse(raw).map(|d| d.as_str().to_owned())
    }

    #[test]
    fn full_postcodes_keep_only_the_district() {
        assert_eq!(district("SW1A 1AA").unwrap(), "SW1A");
        assert_eq!(district("sw1a1aa").unwrap(), "SW1A");
        assert_eq!(district(" ec1a  1bb ").unwrap(), "EC1A");
        assert_eq!(district("W1A 0AX").unwrap(), "W1A");
        assert_eq!(district("M1 1AE").unwrap(), "M1");
        assert_eq!(district("B33 8TH").unwrap(), "B33");
        assert_eq!(district("CR2 6XH").unwrap(), "CR2");
        assert_eq!(district("DN55 1PT").unwrap(), "DN55");
        assert_eq!(district("GIR 0AA").unwrap(), "GIR");
    }

    #[test]
    fn forces_addresses_keep_only_bfpo() {
        for raw in ["BFPO 1234", "bfpo1234", " Bfpo  12 ", "BFPO 1", "BFPO"] {
            assert_eq!(district(raw).unwrap(), "BFPO", "{raw:?}");
        }
        assert!(PostcodeDistrict::parse("BFPO 57").unwrap().is_forces_post_office());
        assert!(!PostcodeDistrict::parse("SW1A 1AA").unwrap().is_forces_post_office());
    }

    #[test]
    fn a_supporter_gives_a_forces_address_with_its_number() {
        assert_eq!(PostcodeDistrict::from_answer("bfpo 57").unwrap().as_str(), "BFPO");
        assert_eq!(PostcodeDistrict::from_answer("SW1A").unwrap().as_str(), "SW1A");
        for bare in ["BFPO", " bfpo ", "B F P O"] {
            assert_eq!(
                PostcodeDistrict::from_answer(bare),
                Err(PostcodeRejection::ForcesNumberMissing),
                "{bare:?}"
            );
        }
        assert_eq!(
            PostcodeDistrict::from_answer("BFPO 12345"),
            Err(PostcodeRejection::Malformed)
        );
    }

    #[test]
    fn malformed_forces_addresses_are_rejected() {
        for raw in ["BFPO 12345", "BFPO 12A", "BFPO-12", "BFPOX", "BF PO 12x"] {
            assert_eq!(district(raw), Err(PostcodeRejection::Malformed), "{raw:?}");
        }
    }

    #[test]
    fn a_district_alone_is_accepted() {
        assert_eq!(district("sw1a").unwrap(), "SW1A");
        assert_eq!(district("N1").unwrap(), "N1");
    }

    #[test]
    fn malformed_postcodes_are_rejected() {
        for raw in [
            "",
            "12345",
            "SW1A 1AAA",
            "QA1 1AA",
            "hello",
            "SW1A 1CA",
            "AI1 1AA",
            "ＳＷ１Ａ",
        ] {
            assert_eq!(district(raw), Err(PostcodeRejection::Malformed), "{raw:?}");
        }
    }

    #[test]
    fn countries_are_tidied_and_checked() {
        assert_eq!(Country::parse("  new   zealand ").unwrap().as_str(), "New Zealand");
        assert_eq!(Country::parse("Cote d’Ivoire").unwrap().as_str(), "Côte d'Ivoire");
        assert_eq!(Country::parse("the usa").unwrap().as_str(), "United States");
        assert_eq!(Country::parse("Holland").unwrap().as_str(), "Netherlands");
        assert!(Country::parse("Côte d'Ivoire").is_ok());
        assert!(Country::parse("Bosnia and Herzegovina").is_ok());
        assert_eq!(Country::parse("1"), Err(CountryRejection::Missing));
        assert_eq!(Country::parse(""), Err(CountryRejection::Missing));
        assert_eq!(Country::parse(&"a".repeat(61)), Err(CountryRejection::TooLong));
        assert_eq!(Country::parse("France!!!"), Err(CountryRejection::NotLetters));
        assert_eq!(Country::parse("www.spam.com"), Err(CountryRejection::NotLetters));
        assert_eq!(Country::parse("-France"), Err(CountryRejection::FormulaStart));
        assert_eq!(
            Country::parse("London"),
            Err(CountryRejection::Unrecognised),
            "not a country"
        );
        assert_eq!(Country::parse("Narnia"), Err(CountryRejection::Unrecognised));
    }

    #[test]
    fn uk_nations_are_sent_back_to_the_postcode() {
        for raw in ["United Kingdom", "scotland", "U.K."] {
            assert_eq!(Country::parse(raw), Err(CountryRejection::InTheUk), "{raw:?}");
        }
    }

    #[test]
    fn uk_names_are_told_apart_from_unknown_countries_by_type() {
        for raw in [
            "United Kingdom",
            "UK",
            "u.k.",
            "England",
            "Great Britain",
            "the United Kingdom",
            "Scotland",
            "Wales",
            "Northern Ireland",
            "GB",
        ] {
            assert_eq!(Country::parse(raw), Err(CountryRejection::InTheUk), "{raw:?}");
        }
        for raw in ["Narnia", "France!!!", "1"] {
            assert!(
                !matches!(Country::parse(raw), Err(CountryRejection::InTheUk)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn every_stored_country_is_found_again_by_its_stored_name_and_nothing_else_is() {
        for (stored, _) in COUNTRIES {
            let typed = Country::parse(stored).expect("a stored name parses");
            assert_eq!(Country::from_stored(stored), Some(typed), "{stored:?}");
        }
        assert_eq!(Country::from_stored("france"), None, "stored names are exact");
        assert_eq!(Country::from_stored("Narnia"), None);
    }

    #[test]
    fn a_district_parses_back_to_itself() {
        for raw in ["SW1A 1AA", "N1 9GU", "M1", "BFPO 1234", "GIR 0AA", "EC1A 1BB"] {
            let district = PostcodeDistrict::parse(raw).unwrap();
            assert_eq!(PostcodeDistrict::parse(district.as_str()), Ok(district), "{raw:?}");
        }
    }
}
