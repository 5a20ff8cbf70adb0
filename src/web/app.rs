//! The Telegram Mini App: `/{slug}/app`, the signing form inside Telegram.
//!
//! The form has the conversation's fields and wording; what it sends goes
//! to the engine as one form input, as a Discord modal's does, so every
//! check, duplicate rule, limit and hold applies as in the chat, and the
//! engine's own words come back: its problems beside their fields, its
//! review, its thank-you. Who is signing comes from Telegram's `initData`,
//! checked on every request; without a valid one nothing is stored.

use std::fmt::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::html::{Head, escape, page, paragraphs};
use super::security::read_body;
use super::{Web, init_data::TelegramUser};
use crate::campaign::Campaign;
use crate::conversation::{FormAnswers, FormConsent, Incoming, Input, Link, Reply, confirmation};
use crate::domain::{Identity, Platform};
use crate::messages::WebMessage;

/// What the form sends.
#[derive(Deserialize)]
pub(super) struct FormRequest {
    #[serde(default)]
    init_data: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    consent: bool,
    #[serde(default)]
    consent_version: u32,
    #[serde(default)]
    updates: bool,
}

/// What the review's confirm button sends.
#[derive(Deserialize)]
pub(super) struct ConfirmRequest {
    #[serde(default)]
    init_data: String,
    #[serde(default)]
    choice: String,
}

/// What the page is told, by step.
#[derive(Serialize, Default)]
struct Answer {
    /// `form` (look again), `review`, `signed`, `message` (anything else
    /// the engine said: already signed, closed, slow down) or `refused`
    /// (no valid sign-in).
    step: &'static str,
    text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<ProblemJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm: Option<ChoiceJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    share_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
}

#[derive(Serialize)]
struct ProblemJson {
    field: &'static str,
    text: String,
}

#[derive(Serialize)]
struct ChoiceJson {
    label: String,
    data: String,
}

/// `GET /{slug}/app`: the form, which its script shows once it has
/// Telegram's sign-in.
pub(super) async fn form_page(State(web): State<Arc<Web>>, Path(slug): Path<String>) -> Response {
    let Some(campaign) = web.campaign(&slug) else {
        return web.error_page(StatusCode::NOT_FOUND, WebMessage::NotFound);
    };
    Html(web.app_page(campaign)).into_response()
}

/// `POST /{slug}/app/form`: the form's answers, to the engine.
pub(super) async fn submit_form(State(web): State<Arc<Web>>, Path(slug): Path<String>, body: Body) -> Response {
    let Some(campaign) = web.campaign(&slug).cloned() else {
        return web.error_page(StatusCode::NOT_FOUND, WebMessage::NotFound);
    };
    let request: FormRequest = match read_json(&web, body).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let user = match web.signed_in(&request.init_data) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let answers = FormAnswers {
        campaign: Some(campaign.slug.clone()),
        name: request.name,
        email: request.email,
        location: request.location,
        consent: if request.consent {
            FormConsent::Given {
                version: request.consent_version,
            }
        } else {
            FormConsent::NotGiven
        },
        updates: Some(request.updates),
    };
    let who = identity(user);
    let replies = web
        .engine
        .handle_off_platform(Incoming::private(who.clone(), Input::Form(answers)))
        .await;
    web.answer(&campaign, &who, replies).await
}

/// `POST /{slug}/app/confirm`: the review confirmed.
pub(super) async fn confirm(State(web): State<Arc<Web>>, Path(slug): Path<String>, body: Body) -> Response {
    let Some(campaign) = web.campaign(&slug).cloned() else {
        return web.error_page(StatusCode::NOT_FOUND, WebMessage::NotFound);
    };
    let request: ConfirmRequest = match read_json(&web, body).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let user = match web.signed_in(&request.init_data) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let who = identity(user);
    let replies = web
        .engine
        .handle_off_platform(Incoming::private(who.clone(), Input::Choice(request.choice)))
        .await;
    web.answer(&campaign, &who, replies).await
}

fn identity(user: TelegramUser) -> Identity {
    Identity::new(Platform::Telegram, user.id.to_string())
}

async fn read_json<T: for<'de> Deserialize<'de>>(web: &Web, body: Body) -> Result<T, Response> {
    let bytes = read_body(web, body).await?;
    serde_json::from_slice(&bytes).map_err(|_| {
        let answer = Answer {
            step: "message",
            text: web.say(WebMessage::BadRequest),
            ..Answer::default()
        };
        (StatusCode::BAD_REQUEST, Json(answer)).into_response()
    })
}

impl Web {
    /// The Telegram user a request's `initData` vouches for, or 401.
    fn signed_in(&self, init_data: &str) -> Result<TelegramUser, Response> {
        let verdict = match &self.telegram {
            Some(telegram) => telegram.check.verify(init_data, self.engine.clock().now()),
            None => Err(super::init_data::InitDataRefusal::Missing),
        };
        verdict.map_err(|refusal| {
            info!(%refusal, "refused a Mini App request");
            let answer = Answer {
                step: "refused",
                text: self.say(WebMessage::OpenFromTheBot),
                ..Answer::default()
            };
            (StatusCode::UNAUTHORIZED, Json(answer)).into_response()
        })
    }

    /// The engine's replies as the page's next step. After a signing, the
    /// thank-you also goes to the chat, once: the only message the bot sends.
    async fn answer(&self, campaign: &Campaign, who: &Identity, replies: Vec<Reply>) -> Response {
        let text = replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n\n");
        if let Some(reply) = replies.iter().find(|reply| !reply.problems.is_empty()) {
            let answer = Answer {
                step: "form",
                text,
                problems: reply
                    .problems
                    .iter()
                    .map(|problem| ProblemJson {
                        field: problem.field.as_str(),
                        text: problem.text.clone(),
                    })
                    .collect(),
                ..Answer::default()
            };
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(answer)).into_response();
        }
        if let Some(choice) = replies.iter().find_map(confirmation) {
            let answer = Answer {
                step: "review",
                text,
                confirm: Some(ChoiceJson {
                    label: choice.label.clone(),
                    data: choice.data.clone(),
                }),
                ..Answer::default()
            };
            return Json(answer).into_response();
        }
        let signed = replies.iter().find_map(|reply| match &reply.link {
            Some(Link::Share { payload, .. }) => Some((reply, payload)),
            _ => None,
        });
        let Some((thanks, payload)) = signed else {
            let answer = Answer {
                step: "message",
                text,
                ..Answer::default()
            };
            return Json(answer).into_response();
        };
        if let Some(follow_up) = self.telegram.as_ref().and_then(|telegram| telegram.follow_up.clone()) {
            // The one message on the platform, which updates give way to.
            self.engine.replies().record(who.platform, 1);
            let (who, thanks) = (who.clone(), thanks.clone());
            tokio::spawn(async move { follow_up.follow_up(&who, &thanks).await });
        }
        let share_url = match self.telegram_username() {
            Some(username) => Some(format!("https://t.me/{username}?start={payload}")),
            None => self.public_url(&campaign.slug),
        };
        let total = self.engine.storage().total(&campaign.slug).await.ok();
        Json(Answer {
            step: "signed",
            text,
            share_url,
            total,
            ..Answer::default()
        })
        .into_response()
    }

    /// The Mini App's page: the form, the review and the thank-you, of which
    /// the script shows one at a time.
    fn app_page(&self, campaign: &Campaign) -> String {
        let field = |id: &str, kind: &str, autocomplete: &str, label: &str, hint: Option<&str>| {
            let hint_html = hint.map_or(String::new(), |hint| {
                format!("<p class=\"hint\" id=\"{id}-hint\">{}</p>", escape(hint))
            });
            format!(
                "<div class=\"field\"><label for=\"{id}\">{label}</label>{hint_html}\
                 <input id=\"{id}\" name=\"{id}\" type=\"{kind}\" autocomplete=\"{autocomplete}\" maxlength=\"200\" \
                 aria-describedby=\"{id}-error{described}\">\
                 <p class=\"error\" id=\"{id}-error\" role=\"alert\"></p></div>",
                label = escape(label),
                described = if hint.is_some() {
                    format!(" {id}-hint")
                } else {
                    String::new()
                },
            )
        };
        let mut body = String::with_capacity(8192);
        write!(
            body,
            "<main class=\"app\" id=\"app\" data-slug=\"{slug}\" data-consent-version=\"{version}\">\n\
             <h1>{title}</h1>\n<blockquote class=\"statement\"><p>{statement}</p></blockquote>\n\
             <noscript><p>{noscript}</p></noscript>\n\
             <section id=\"refused\" hidden><p id=\"refused-text\">{refused}</p></section>\n",
            slug = escape(&campaign.slug),
            version = campaign.consent.version,
            title = escape(&campaign.title),
            statement = escape(&campaign.statement),
            noscript = escape(&self.say(WebMessage::NeedsScript)),
            refused = escape(&self.say(WebMessage::OpenFromTheBot)),
        )
        .expect("writing to a string cannot fail");
        write!(
            body,
            "<form id=\"form\" novalidate hidden>\n<p>{intro}</p>\n{name}\n{email}\n{location}\n\
             <fieldset class=\"consent\"><legend>{consent_heading}</legend>{wording}\
             <label class=\"check\"><input type=\"checkbox\" id=\"consent\" name=\"consent\" aria-describedby=\"consent-error\"> {consent_box}</label>\
             <p class=\"error\" id=\"consent-error\" role=\"alert\"></p></fieldset>\n\
             <label class=\"check\"><input type=\"checkbox\" id=\"updates\" name=\"updates\"> {updates_box}</label>\n\
             <p class=\"error\" id=\"form-error\" role=\"alert\"></p>\n\
             <button type=\"submit\" id=\"review-button\">{review}</button>\n</form>\n",
            intro = escape(&self.say(WebMessage::FormIntro)),
            name = field("name", "text", "name", &self.say(WebMessage::NameLabel), None),
            email = field(
                "email",
                "email",
                "email",
                &self.say(WebMessage::EmailLabel {
                    optional: !campaign.require_email
                }),
                None
            ),
            location = field(
                "location",
                "text",
                "postal-code",
                &self.say(WebMessage::LocationLabel),
                Some(&self.say(WebMessage::LocationHint))
            ),
            consent_heading = escape(&self.say(WebMessage::ConsentHeading {
                version: campaign.consent.version
            })),
            wording = paragraphs(&campaign.consent.wording),
            consent_box = escape(&self.say(WebMessage::ConsentBox)),
            updates_box = escape(&self.say(WebMessage::UpdatesBox)),
            review = escape(&self.say(WebMessage::Review)),
        )
        .expect("infallible");
        write!(
            body,
            "<section id=\"review\" hidden aria-live=\"polite\"><div id=\"review-text\"></div>\
             <button type=\"button\" id=\"confirm-button\"></button> \
             <button type=\"button\" id=\"change-button\" class=\"secondary\">{change}</button></section>\n\
             <section id=\"signed\" hidden aria-live=\"polite\"><div id=\"signed-text\"></div>\
             <h2>{share}</h2><p><a id=\"share-link\" href=\"#\"></a></p></section>\n\
             <section id=\"message\" hidden aria-live=\"polite\"><div id=\"message-text\"></div></section>\n\
             <details class=\"privacy\"><summary>{privacy_heading}</summary>{privacy}</details>\n</main>",
            change = escape(&self.say(WebMessage::ChangeAnswers)),
            share = escape(&self.say(WebMessage::ShareHeading)),
            privacy_heading = escape(&self.say(WebMessage::Privacy)),
            privacy = paragraphs(&campaign.privacy),
        )
        .expect("infallible");
        let head = Head {
            title: campaign.title.clone(),
            description: campaign.statement.clone(),
            url: self.public_url(&format!("{}/app", campaign.slug)),
            scripts: vec!["/static/app.js"],
        };
        page(self.engine.language().tag(), &head, "mini-app", &body)
    }
}
