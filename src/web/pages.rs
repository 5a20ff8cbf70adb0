//! The public pages: `/`, the open campaigns, and `/{slug}`, a campaign's
//! page, server-rendered so it reads fully without scripts; its script only
//! keeps the count up to date from `count.json`.

use std::fmt::Write;
use std::sync::Arc;

use chrono::NaiveDate;

use super::counts::{CHART_DAYS, Snapshot};
use super::html::{Head, escape, page, paragraphs};
use super::{Web, chart};
use crate::conversation::Standing;
use crate::messages::WebMessage;

impl Web {
    /// `/`: every open campaign, with its statement and total.
    pub(super) async fn index_page(&self) -> Result<String, crate::storage::StorageError> {
        let mut list = String::new();
        for campaign in self.engine.campaigns().iter() {
            if self.engine.standing(campaign) != Standing::Open {
                continue;
            }
            let snapshot = self.snapshot(campaign).await?;
            write!(
                list,
                "<li><h2><a href=\"/{slug}\">{title}</a></h2><p>{statement}</p>\
                 <p class=\"total\"><strong>{total}</strong> {signed} {goal}</p></li>",
                slug = escape(&campaign.slug),
                title = escape(&campaign.title),
                statement = escape(&campaign.statement),
                total = escape(&self.number(snapshot.total)),
                signed = escape(&self.say(WebMessage::Signed)),
                goal = escape(&self.say(WebMessage::Goal { goal: snapshot.goal })),
            )
            .expect("writing to a string cannot fail");
        }
        let heading = self.say(WebMessage::OpenCampaigns);
        let body = if list.is_empty() {
            format!(
                "<main><h1>{}</h1><p>{}</p></main>",
                escape(&heading),
                escape(&self.say(WebMessage::NoneOpen))
            )
        } else {
            format!(
                "<main><h1>{}</h1><ul class=\"campaigns\">{list}</ul></main>",
                escape(&heading)
            )
        };
        let head = Head {
            title: heading,
            url: self.public_url(""),
            ..Head::default()
        };
        Ok(page(self.engine.language().tag(), &head, "index", &body))
    }

    /// `/{slug}`: the campaign, its count against the goal, its chart, how
    /// to sign, and the article.
    pub(super) fn campaign_page(&self, snapshot: &Arc<Snapshot>) -> String {
        let campaign = &snapshot.campaign;
        let slug = escape(&campaign.slug);
        let mut body = String::with_capacity(campaign.article.len() + 8192);
        write!(
            body,
            "<main>\n<header>\n<h1>{title}</h1>\n<p class=\"to\">{to}</p>\n<p class=\"by\">{by}</p>\n</header>\n",
            title = escape(&campaign.title),
            to = escape(&self.say(WebMessage::AddressedTo {
                targets: &campaign.targets
            })),
            by = escape(&self.say(WebMessage::StartedBy {
                author: &campaign.author
            })),
        )
        .expect("writing to a string cannot fail");
        self.write_count(&mut body, snapshot);
        // The way to sign comes first, within a phone's first screen.
        self.write_how_to_sign(&mut body, snapshot);
        write!(
            body,
            "<section aria-labelledby=\"statement-heading\">\n<h2 id=\"statement-heading\">{heading}</h2>\n\
             <blockquote class=\"statement\"><p>{statement}</p></blockquote>\n{summary}\n</section>\n",
            heading = escape(&self.say(WebMessage::TheStatement)),
            statement = escape(&campaign.statement),
            summary = paragraphs(&campaign.summary),
        )
        .expect("infallible");
        self.write_chart(&mut body, snapshot);
        write!(
            body,
            "<section aria-labelledby=\"article-heading\" class=\"article\">\n<h2 id=\"article-heading\">{heading}</h2>\n{article}\n</section>\n\
             <footer><p><a href=\"/{slug}/count.json\">{data}</a></p></footer>\n</main>",
            heading = escape(&self.say(WebMessage::TheArticle)),
            article = paragraphs(&campaign.article),
            data = escape(&self.say(WebMessage::OpenData)),
        )
        .expect("infallible");
        let head = Head {
            title: campaign.title.clone(),
            description: self.say(WebMessage::Preview {
                statement: &campaign.statement,
                total: snapshot.total,
            }),
            url: self.public_url(&campaign.slug),
            scripts: vec!["/static/page.js"],
        };
        page(self.engine.language().tag(), &head, "campaign", &body)
    }

    fn write_count(&self, body: &mut String, snapshot: &Snapshot) {
        write!(
            body,
            "<section class=\"count\" data-count-url=\"/{slug}/count.json\">\n\
             <p class=\"total\"><strong id=\"total\" aria-live=\"polite\">{total}</strong> {signed} \
             <span id=\"goal\">{goal}</span></p>\n\
             <progress id=\"progress\" aria-label=\"{label}\" max=\"{max}\" value=\"{now}\">{total}</progress>\n\
             </section>\n",
            slug = escape(&snapshot.campaign.slug),
            total = escape(&self.number(snapshot.total)),
            signed = escape(&self.say(WebMessage::Signed)),
            goal = escape(&self.say(WebMessage::Goal { goal: snapshot.goal })),
            label = escape(&self.say(WebMessage::ProgressLabel)),
            max = snapshot.goal.max(1),
            now = snapshot.total.min(snapshot.goal.max(1)),
        )
        .expect("writing to a string cannot fail");
    }

    fn write_how_to_sign(&self, body: &mut String, snapshot: &Snapshot) {
        let campaign = &snapshot.campaign;
        let heading = escape(&self.say(WebMessage::HowToSign));
        write!(
            body,
            "<section aria-labelledby=\"sign-heading\" class=\"sign\">\n<h2 id=\"sign-heading\">{heading}</h2>\n"
        )
        .expect("writing to a string cannot fail");
        match snapshot.standing {
            Standing::Closed(on) => {
                write!(body, "<p>{}</p>", escape(&self.say(WebMessage::ClosedOn { on }))).expect("infallible");
            }
            Standing::NotYetOpen(on) => {
                write!(body, "<p>{}</p>", escape(&self.say(WebMessage::OpensOn { on }))).expect("infallible");
            }
            Standing::Open => {
                let mut ways = String::new();
                if let Some(username) = self.telegram_username() {
                    let link = format!("https://t.me/{username}?start={}", campaign.slug);
                    write!(
                        ways,
                        "<li><a class=\"button\" href=\"{}\">{}</a></li>",
                        escape(&link),
                        escape(&self.say(WebMessage::SignOnTelegram))
                    )
                    .expect("infallible");
                }
                if let Some(invite) = self.discord_invite() {
                    write!(
                        ways,
                        "<li><a class=\"button\" href=\"{}\">{}</a></li>",
                        escape(invite),
                        escape(&self.say(WebMessage::SignOnDiscord))
                    )
                    .expect("infallible");
                }
                if ways.is_empty() {
                    write!(body, "<p>{}</p>", escape(&self.say(WebMessage::NoWayToSignHere))).expect("infallible");
                } else {
                    write!(body, "<ul class=\"ways\">{ways}</ul>").expect("infallible");
                }
            }
        }
        body.push_str("\n</section>\n");
    }

    fn write_chart(&self, body: &mut String, snapshot: &Snapshot) {
        let total: u64 = snapshot.by_day.iter().map(|day| day.count).sum();
        let busiest = snapshot
            .by_day
            .iter()
            .filter(|day| day.count > 0)
            .max_by_key(|day| day.count)
            .and_then(|day| {
                let date = NaiveDate::parse_from_str(&day.label, "%Y-%m-%d").ok()?;
                Some((date.and_hms_opt(12, 0, 0)?.and_utc(), day.count))
            });
        let description = self.say(WebMessage::PerDayDescription {
            days: usize::try_from(CHART_DAYS).unwrap_or(30),
            total,
            busiest,
        });
        write!(
            body,
            "<section aria-labelledby=\"chart-heading\">\n<h2 id=\"chart-heading\">{heading}</h2>\n<figure>{chart}<figcaption>{description}</figcaption></figure>\n</section>\n",
            heading = escape(&self.say(WebMessage::PerDay)),
            chart = chart::signatures_per_day(&snapshot.by_day, &description),
            description = escape(&description),
        )
        .expect("writing to a string cannot fail");
    }

    /// A page with a message, for errors.
    pub(super) fn message_page(&self, title: &str, text: &str) -> String {
        let head = Head {
            title: title.to_owned(),
            description: text.to_owned(),
            ..Head::default()
        };
        let body = format!("<main><h1>{}</h1><p>{}</p></main>", escape(title), escape(text));
        page(self.engine.language().tag(), &head, "message", &body)
    }
}
