//! Updates as they arrive, handed to the dispatch tree ([`super::schema`]):
//! each chat's in order, one at a time, and no chat ever waiting for
//! another.
//!
//! teloxide's own dispatcher gives each chat a queue of its own, but waits
//! when one is full, and with it every other chat: one account sending a
//! hundred messages stalled everyone signing beside it. Here a message is
//! counted against its sender as it arrives ([`Engine::admit`]), so what
//! is over the per-person limit is never queued (the sender is told once
//! to slow down), and a chat's queue is bounded besides: what overflows is
//! dropped. Queuing never waits.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use teloxide::RequestError;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Me, UpdateKind};
use teloxide::update_listeners::UpdateListener;
use tokio::task::JoinSet;

use super::{QuietErrorHandler, SanitisedError, TelegramApi, deliver, schema};
use crate::conversation::{Arrival, Engine, Reply};
use crate::dedup::RecentIds;
use crate::domain::{Identity, Platform};
use crate::metrics;

/// The most updates one chat may have waiting: a person within the
/// per-person limit never comes near it; a group's many members might.
const QUEUED_PER_CHAT: usize = 32;

/// What waits in a chat's queue.
enum Queued {
    Update(Box<Update>),
    /// The one "slow down" a flooding sender is told.
    SlowDown(Box<Reply>),
}

/// Each chat with something queued, and what; a chat is here exactly while
/// a worker task is handling its queue.
type Chats = Arc<Mutex<HashMap<i64, VecDeque<Queued>>>>;

/// What every worker needs.
struct Context<R> {
    bot: R,
    me: Me,
    engine: Arc<Engine>,
    handler: UpdateHandler<RequestError>,
    dependencies: dptree::di::DependencyMap,
}

/// Hands the updates `listener` brings to the dispatch tree until it ends
/// (once stopped, it confirms what it handed out and ends); then waits for
/// the updates in hand to be handled.
pub(super) async fn dispatch<R, L>(bot: R, me: Me, engine: Arc<Engine>, mut listener: L)
where
    R: TelegramApi,
    L: UpdateListener + Send,
    L::Err: Into<SanitisedError> + Send + 'static,
{
    listener.hint_allowed_updates(&mut [AllowedUpdate::Message, AllowedUpdate::CallbackQuery].into_iter());
    let dependencies = dptree::deps![
        engine.clone(),
        Arc::new(RecentIds::new(10_000)),
        bot.clone(),
        me.clone()
    ];
    let context = Arc::new(Context {
        bot,
        me,
        engine,
        handler: schema::<R>(),
        dependencies,
    });
    let chats: Chats = Arc::default();
    let mut workers = JoinSet::new();
    let listener_errors = Arc::new(QuietErrorHandler("could not fetch Telegram updates"));
    let stream = listener.as_stream();
    let mut stream = std::pin::pin!(stream);
    loop {
        tokio::select! {
            update = stream.next() => match update {
                Some(Ok(update)) => arrive(update, &context, &chats, &mut workers),
                Some(Err(error)) => listener_errors.clone().handle_error(error).await,
                None => break,
            },
            // Finished workers are collected as they finish, so the set
            // holds only those running.
            Some(_) = workers.join_next(), if !workers.is_empty() => {}
        }
    }
    while workers.join_next().await.is_some() {}
}

/// Queues an update in its chat, after the per-person limit; starts the
/// chat's worker if none runs. Never waits.
fn arrive<R: TelegramApi>(update: Update, context: &Arc<Context<R>>, chats: &Chats, workers: &mut JoinSet<()>) {
    let Some(chat) = update.chat().map(|chat| chat.id.0) else {
        // A press on a message sent through inline mode has no chat: it is
        // only answered (its spinner stopped), at once.
        let context = context.clone();
        workers.spawn(async move {
            if let Err(error) = handle(&context, update).await {
                report(error).await;
            }
        });
        return;
    };
    let queued = match sender_in_private(&update) {
        Some(who) => match context.engine.admit(&who) {
            Arrival::Queue => Queued::Update(Box::new(update)),
            Arrival::SlowDown(reply) => Queued::SlowDown(reply),
            Arrival::Drop => return,
        },
        None => Queued::Update(Box::new(update)),
    };
    let mut queues = chats.lock().expect("chats lock");
    match queues.get_mut(&chat) {
        Some(queue) if queue.len() >= QUEUED_PER_CHAT => {
            metrics::limit_hit(metrics::Limit::ChatQueue);
        }
        Some(queue) => queue.push_back(queued),
        None => {
            queues.insert(chat, VecDeque::from([queued]));
            workers.spawn(work(chat, context.clone(), chats.clone()));
        }
    }
}

/// The person behind a message or button press in a private chat, whom the
/// per-person limit counts; groups' messages are counted when handled.
fn sender_in_private(update: &Update) -> Option<Identity> {
    let (user, private) = match &update.kind {
        UpdateKind::Message(message) => (message.from.as_ref()?, message.chat.is_private()),
        UpdateKind::CallbackQuery(query) => (
            &query.from,
            query.regular_message().is_some_and(|message| message.chat.is_private()),
        ),
        _ => return None,
    };
    (private && !user.is_bot).then(|| Identity::new(Platform::Telegram, user.id.0.to_string()))
}

/// Handles one chat's queue until it is empty, then forgets the chat.
async fn work<R: TelegramApi>(chat: i64, context: Arc<Context<R>>, chats: Chats) {
    loop {
        let next = {
            let mut chats = chats.lock().expect("chats lock");
            match chats.get_mut(&chat).and_then(VecDeque::pop_front) {
                Some(next) => next,
                None => {
                    chats.remove(&chat);
                    return;
                }
            }
        };
        let handled = match next {
            Queued::Update(update) => handle(&context, *update).await,
            Queued::SlowDown(reply) => {
                let engine = &context.engine;
                deliver(
                    &context.bot,
                    engine,
                    ChatId(chat),
                    None,
                    vec![*reply],
                    context.me.username(),
                    crate::pace::Priority::Reply,
                )
                .await
            }
        };
        if let Err(error) = handled {
            report(error).await;
        }
    }
}

/// Hands one update to the dispatch tree.
async fn handle<R: TelegramApi>(context: &Context<R>, update: Update) -> Result<(), RequestError> {
    let mut dependencies = context.dependencies.clone();
    dependencies.insert(update);
    match context.handler.dispatch(dependencies).await {
        ControlFlow::Break(result) => result,
        ControlFlow::Continue(_) => Ok(()),
    }
}

/// A request the handling of an update could not make: counted, and
/// logged without its payload.
async fn report(error: RequestError) {
    metrics::error(metrics::ErrorKind::Send(Platform::Telegram));
    Arc::new(QuietErrorHandler("could not handle a Telegram update"))
        .handle_error(error)
        .await;
}
