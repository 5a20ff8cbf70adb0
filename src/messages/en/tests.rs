//! The English as it reads: numbers, plurals, lists, selections, places,
//! progress, every rejection, and the notes and form problems that name
//! what to press or fix.

use super::parts::Described;
use super::words::{Counted, Targets};
use super::*;
use crate::domain::Selection;
use crate::domain::{
    CountryRejection, EmailRejection, Location, NameRejection, Platform, PostcodeRejection, Rejection,
};
use crate::messages::{FormProblem, Language, LocationProblem};

fn english(message: Message<'_>) -> String {
    message.text(Language::English)
}

#[test]
fn numbers_are_grouped_in_thousands() {
    for (n, grouped) in [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1,000"),
        (12_345, "12,345"),
        (1_234_567, "1,234,567"),
        (u64::MAX, "18,446,744,073,709,551,615"),
    ] {
        assert_eq!(english(Message::Number(n)), grouped);
    }
}

#[test]
fn counts_are_singular_only_for_one() {
    assert_eq!(Counted(1, "signature").to_string(), "1 signature");
    assert_eq!(Counted(0, "signature").to_string(), "0 signatures");
    assert_eq!(Counted(2000, "held signature").to_string(), "2,000 held signatures");
}

#[test]
fn targets_read_as_a_phrase() {
    let targets = |names: &[&str]| Targets(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).to_string();
    assert_eq!(targets(&[]), "");
    assert_eq!(targets(&["A"]), "A");
    assert_eq!(targets(&["A", "B"]), "A and B");
    assert_eq!(targets(&["A", "B", "C"]), "A, B and C");
}

#[test]
fn a_selection_lists_its_filters_or_says_all() {
    assert_eq!(
        english(Message::Selection {
            selection: &Selection::default()
        }),
        "all"
    );
    let selection = Selection {
        email_domain: Some("spam.example".into()),
        platform: Some(Platform::Discord),
        ..Selection::default()
    };
    assert_eq!(
        english(Message::Selection { selection: &selection }),
        "email domain spam.example, platform discord"
    );
}

#[test]
fn a_forces_district_reads_as_the_forces_post_office() {
    let forces = Location::Uk(crate::domain::PostcodeDistrict::parse("BFPO 57").unwrap());
    let london = Location::Uk(crate::domain::PostcodeDistrict::parse("SW1A 1AA").unwrap());
    let abroad = Location::Abroad(crate::domain::Country::parse("france").unwrap());
    assert_eq!(Described(&forces).to_string(), "BFPO (British Forces Post Office)");
    assert_eq!(Described(&london).to_string(), "SW1A (UK postcode district)");
    assert_eq!(Described(&abroad).to_string(), "France");
}

#[test]
fn progress_reads_against_the_goal() {
    assert_eq!(
        english(Message::Progress { total: 1, goal: 10_000 }),
        "1 of 10,000 signatures (0% of the goal)"
    );
    assert_eq!(
        english(Message::Progress {
            total: 2500,
            goal: 10_000
        }),
        "2,500 of 10,000 signatures (25% of the goal)"
    );
}

/// Each rejection's number, in a match without a catch-all: a new kind
/// does not build until it is numbered, and the test below fails until
/// it is worded there.
fn rejection_number(rejection: Rejection) -> usize {
    use {CountryRejection as C, EmailRejection as E, NameRejection as N};
    match rejection {
        Rejection::Name(N::Missing) => 0,
        Rejection::Name(N::Blank) => 1,
        Rejection::Name(N::Hidden) => 2,
        Rejection::Name(N::StrayMark) => 3,
        Rejection::Name(N::StackedMarks) => 4,
        Rejection::Name(N::TooShort) => 5,
        Rejection::Name(N::TooLong) => 6,
        Rejection::Name(N::NoLetter) => 7,
        Rejection::Name(N::FormulaStart) => 8,
        Rejection::Name(N::Link) => 9,
        Rejection::Email(E::Missing) => 10,
        Rejection::Email(E::TooLong) => 11,
        Rejection::Email(E::Malformed) => 12,
        Rejection::Postcode(PostcodeRejection::Malformed) => 13,
        Rejection::Country(C::InTheUk) => 14,
        Rejection::Country(C::Missing) => 15,
        Rejection::Country(C::TooLong) => 16,
        Rejection::Country(C::NotLetters) => 17,
        Rejection::Country(C::FormulaStart) => 18,
        Rejection::Country(C::Unrecognised) => 19,
        Rejection::Postcode(PostcodeRejection::ForcesNumberMissing) => 20,
    }
}
const REJECTIONS: usize = 21;

#[test]
fn every_rejection_is_worded() {
    use {CountryRejection as C, EmailRejection as E, NameRejection as N};
    let worded: [(Rejection, &str); REJECTIONS] = [
        (
            N::Missing.into(),
            "Please type the name you would like on the petition.",
        ),
        (
            N::Blank.into(),
            "That name would show up blank on the petition. Please type it using ordinary letters.",
        ),
        (
            N::Hidden.into(),
            "That name contains hidden or control characters. Please type it again using ordinary letters.",
        ),
        (
            N::StrayMark.into(),
            "That name has an accent or mark that isn't on a letter. Please type it as it is usually written.",
        ),
        (
            N::StackedMarks.into(),
            "That name has too many accents or marks piled on one letter. Please type it as it is usually written.",
        ),
        (
            N::TooShort.into(),
            "That name is too short. Please give at least 2 characters.",
        ),
        (
            N::TooLong.into(),
            "That name is too long. Please keep it to 100 characters or fewer.",
        ),
        (N::NoLetter.into(), "A name needs at least one letter."),
        (
            N::FormulaStart.into(),
            "A name cannot start with =, +, - or @. Please type it starting with a letter.",
        ),
        (
            N::Link.into(),
            "A name cannot contain a link or web address. Please type just your name.",
        ),
        (
            E::Missing.into(),
            "Please type your email address, like name@example.com.",
        ),
        (E::TooLong.into(), "That email address is too long."),
        (
            E::Malformed.into(),
            "That doesn't look like an email address. Please type it like name@example.com.",
        ),
        (
            PostcodeRejection::Malformed.into(),
            "That doesn't look like a UK postcode. Please type it like SW1A 1AA. If you live outside the UK, type \"outside\".",
        ),
        (
            PostcodeRejection::ForcesNumberMissing.into(),
            "Please add your BFPO number, like BFPO 1234.",
        ),
        (
            C::InTheUk.into(),
            "That's in the UK, so please give your postcode instead, such as SW1A 1AA.",
        ),
        (C::Missing.into(), "Please type the name of the country you live in."),
        (
            C::TooLong.into(),
            "That country name is too long. Please type just the country.",
        ),
        (
            C::NotLetters.into(),
            "A country name can only contain letters, spaces and hyphens. Please type just the country.",
        ),
        (
            C::FormulaStart.into(),
            "A country name cannot start with =, +, - or @. Please type just the country.",
        ),
        (
            C::Unrecognised.into(),
            "I don't recognise that country. Please type its name in English, such as France or United States.",
        ),
    ];
    let mut listed = [false; REJECTIONS];
    for (rejection, sentence) in worded {
        listed[rejection_number(rejection)] = true;
        assert_eq!(english(Message::Rejection(rejection)), sentence);
    }
    assert!(listed.iter().all(|listed| *listed), "every kind is worded above");
}

#[test]
fn the_direct_message_notes_name_the_button_to_press() {
    assert_eq!(
        english(Message::DirectMessagesRefused),
        "I can't send you direct messages (check your privacy settings for this server), so please press Sign to use the form here instead."
    );
    assert_eq!(
        english(Message::DirectMessageUnavailable),
        "I can't open a direct message with you right now, so please press Sign to use the form here instead."
    );
}

#[test]
fn a_form_lists_each_refused_answer_under_its_field() {
    let problems = [
        FormProblem::Name(NameRejection::TooShort),
        FormProblem::Email(EmailRejection::Malformed),
        FormProblem::Where(LocationProblem::Unrecognised),
    ];
    assert_eq!(
        english(Message::FormProblems { problems: &problems }),
        "Some answers need another look:\n\
         Name: That name is too short. Please give at least 2 characters.\n\
         Email: That doesn't look like an email address. Please type it like name@example.com.\n\
         Where you live: that isn't a UK postcode or a country I recognise. Type a postcode such as SW1A 1AA, or the name of your country."
    );
}
