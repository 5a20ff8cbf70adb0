//! Sending email for real: through a real SMTP server, over STARTTLS with
//! authentication, and each kind of failure told apart without quoting the
//! address.

use std::time::Duration;

use crate::support::smtp::{SmtpServer, USER};
use crate::support::unused_port;
use petition::config::Secret;
use petition::mail::{Mail, MailFailure, Mailer};

fn mail_to(to: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Your code for Keep the unit open".to_owned(),
        body: "Your code is 123456. It is valid for 30 minutes.".to_owned(),
    }
}

#[tokio::test]
async fn a_message_goes_over_starttls_with_authentication_and_arrives_as_plain_text() {
    let mut server = SmtpServer::start().await;
    let mailer = Mailer::new(&server.settings()).unwrap();
    mailer.send(&mail_to("ada@example.org")).await.unwrap();
    let received = server.next_message().await;
    assert_eq!(received.to, ["ada@example.org"]);
    assert_eq!(received.from, "petition@example.org");
    assert!(received.tls, "over TLS");
    assert_eq!(received.user, USER, "authenticated");
    for expected in [
        "From: \"Keep the unit open\" <petition@example.org>",
        "To: ada@example.org",
        "Subject: Your code for Keep the unit open",
        "Content-Type: text/plain; charset=utf-8",
        "Your code is 123456. It is valid for 30 minutes.",
    ] {
        assert!(received.data.contains(expected), "{expected:?} in {}", received.data);
    }
}

#[tokio::test]
async fn an_address_refused_for_good_is_told_apart_and_not_quoted() {
    let mut server = SmtpServer::start().await;
    let mailer = Mailer::new(&server.settings()).unwrap();
    let failure = mailer.send(&mail_to("refused.ada@example.org")).await.unwrap_err();
    assert_eq!(failure, MailFailure::AddressRefused(550));
    assert!(!failure.to_string().contains("ada"), "{failure}");
    assert!(!server.anything_within(Duration::from_millis(500)).await);
}

#[tokio::test]
async fn a_refusal_for_now_is_worth_trying_again() {
    let server = SmtpServer::start().await;
    let mailer = Mailer::new(&server.settings()).unwrap();
    let failure = mailer.send(&mail_to("later.ada@example.org")).await.unwrap_err();
    assert_eq!(failure, MailFailure::Temporary(Some(451)));
}

#[tokio::test]
async fn a_wrong_password_is_the_operators_to_put_right_not_the_signers() {
    let mut server = SmtpServer::start().await;
    let mut settings = server.settings();
    settings.password = Secret::new("wrong");
    let failure = Mailer::new(&settings)
        .unwrap()
        .send(&mail_to("ada@example.org"))
        .await
        .unwrap_err();
    assert_eq!(failure, MailFailure::Refused(535));
    assert!(!server.anything_within(Duration::from_millis(500)).await);
}

#[tokio::test]
async fn a_server_that_does_not_answer_is_a_failure_for_now() {
    let server = SmtpServer::start().await;
    let mut settings = server.settings();
    settings.server = Secret::new(format!("smtp://{USER}@127.0.0.1:{}", unused_port()));
    let failure = Mailer::new(&settings)
        .unwrap()
        .send(&mail_to("ada@example.org"))
        .await
        .unwrap_err();
    assert_eq!(failure, MailFailure::Temporary(None));
}

#[tokio::test]
async fn a_server_whose_certificate_nobody_vouches_for_gets_nothing() {
    let mut server = SmtpServer::start().await;
    let mut settings = server.settings();
    // The public authorities only: the test authority is not among them.
    settings.root_certificate = String::new();
    let failure = Mailer::new(&settings)
        .unwrap()
        .send(&mail_to("ada@example.org"))
        .await
        .unwrap_err();
    assert_eq!(failure, MailFailure::Temporary(None));
    assert!(!server.anything_within(Duration::from_millis(500)).await);
}
