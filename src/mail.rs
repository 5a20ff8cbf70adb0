//! Email, sent for real: plain-text messages handed to the configured SMTP
//! server (`[email]`) over TLS, STARTTLS required or TLS from the first
//! byte, with authentication, on pooled connections.
//!
//! A failure says which kind it is, because each is handled differently: a
//! temporary one (a 4xx reply, a refused connection, a timeout) is tried
//! again later; an address refused for good (a 5xx to the recipient) is
//! the signer's to correct; our own server refusing us (authentication) is
//! the operator's. Failures carry the reply code only: a server's text can
//! quote the address, which must never reach a log line.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::EmailSettings;

/// How long one SMTP command may take before the attempt counts as failed
/// for now.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections kept open to the server, so codes in a surge do not each
/// pay for a TLS handshake.
const POOLED_CONNECTIONS: u32 = 4;

/// Sends mail through the configured server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mailer")
    }
}

/// One plain-text message to one address. Its `Debug` shows the subject
/// only: the address is personal and the text may hold a code.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    /// The address it goes to.
    pub to: String,
    /// Its subject line.
    pub subject: String,
    /// Its text.
    pub body: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Why a message was not accepted. Never carries the server's words, which
/// may quote the address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailFailure {
    /// Worth trying again later: a 4xx reply, or the server could not be
    /// reached, or did not answer in time.
    #[error("the mail server could not take the message now{}", code_of(*.0))]
    Temporary(Option<u16>),
    /// The recipient's address was refused for good (a 5xx reply).
    #[error("the mail server refused the address for good ({0})")]
    AddressRefused(u16),
    /// Our own server refused us: authentication or the sender, which only
    /// the operator can put right.
    #[error("the mail server refused this application's credentials or sender ({0})")]
    Refused(u16),
    /// The message could not be written (an address that is not one).
    #[error("the message could not be written: {0}")]
    Unwritable(&'static str),
}

fn code_of(code: Option<u16>) -> String {
    code.map(|code| format!(" ({code})")).unwrap_or_default()
}

/// Why a mailer could not be set up from the settings.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    /// `email.server` is not an SMTP URL this can use.
    #[error("`email.server` must be smtp://host[:port] or smtps://host[:port], with an optional user")]
    Server,
    /// The extra certificate authority could not be read.
    #[error("`email.root_certificate` could not be read: {0}")]
    RootCertificate(String),
    /// `email.from` or `email.reply_to` is not a mailbox.
    #[error("`email.{0}` must be an address, or a name and an address in <>")]
    Mailbox(&'static str),
}

impl Mailer {
    /// A mailer for the server in `settings`. Connects only when it sends.
    pub fn new(settings: &EmailSettings) -> Result<Self, MailSetupError> {
        let url = url::Url::parse(settings.server.expose()).map_err(|_| MailSetupError::Server)?;
        let host = url.host_str().ok_or(MailSetupError::Server)?.to_owned();
        let (tls_from_the_start, default_port) = match url.scheme() {
            "smtps" => (true, 465),
            "smtp" => (false, 587),
            _ => return Err(MailSetupError::Server),
        };
        let mut parameters = TlsParameters::builder(host.clone());
        if !settings.root_certificate.trim().is_empty() {
            let pem = std::fs::read(settings.root_certificate.trim())
                .map_err(|error| MailSetupError::RootCertificate(error.kind().to_string()))?;
            let certificate = Certificate::from_pem(&pem)
                .map_err(|_| MailSetupError::RootCertificate("not a PEM certificate".to_owned()))?;
            parameters = parameters.add_root_certificate(certificate);
        }
        let parameters = parameters.build_rustls().map_err(|_| MailSetupError::Server)?;
        let tls = if tls_from_the_start {
            Tls::Wrapper(parameters)
        } else {
            Tls::Required(parameters)
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(url.port().unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(COMMAND_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(POOLED_CONNECTIONS));
        if !url.username().is_empty() {
            let user = percent_decoded(url.username());
            builder = builder.credentials(Credentials::new(user, settings.password.expose().to_owned()));
        }
        let from = settings.from.parse().map_err(|_| MailSetupError::Mailbox("from"))?;
        let reply_to = match settings.reply_to.trim() {
            "" => None,
            reply_to => Some(reply_to.parse().map_err(|_| MailSetupError::Mailbox("reply_to"))?),
        };
        Ok(Self {
            transport: builder.build(),
            from,
            reply_to,
        })
    }

    /// Hands `mail` to the server; `Ok` once the server has accepted it.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailFailure> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailFailure::Unwritable("the recipient is not an address"))?;
        let mut message = Message::builder().from(self.from.clone()).to(to);
        if let Some(reply_to) = &self.reply_to {
            message = message.reply_to(reply_to.clone());
        }
        let message = message
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|_| MailFailure::Unwritable("the message could not be assembled"))?;
        self.transport.send(message).await.map(drop).map_err(classify)
    }
}

/// Which kind of failure an SMTP error is (see the module's documentation).
fn classify(error: lettre::transport::smtp::Error) -> MailFailure {
    let code = error.status().map(u16::from);
    match code {
        Some(code) if error.is_permanent() => match code {
            // Authentication required, failed or too weak; the sender refused.
            530 | 534 | 535 | 538 => MailFailure::Refused(code),
            _ => MailFailure::AddressRefused(code),
        },
        code => MailFailure::Temporary(code),
    }
}

/// A URL's user, as typed before it was percent-encoded.
fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_with_an_at_sign_or_a_plus_reads_as_typed() {
        assert_eq!(percent_decoded("petition%40example.org"), "petition@example.org");
        assert_eq!(percent_decoded("a+b"), "a+b");
    }

    #[test]
    fn a_mail_shows_neither_its_address_nor_its_text_when_debugged() {
        let mail = Mail {
            to: "ada@example.org".to_owned(),
            subject: "Your code".to_owned(),
            body: "Your code is 123456.".to_owned(),
        };
        let shown = format!("{mail:?}");
        assert!(shown.contains("Your code"), "{shown}");
        assert!(!shown.contains("ada") && !shown.contains("123456"), "{shown}");
    }
}
