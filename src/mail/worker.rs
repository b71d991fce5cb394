//! The mail worker: claims due emails from the outbox one at a time, puts the live link
//! in place of the mark, sends through SMTP (lettre) within half the claim's lease and
//! records the outcome. Delivery is at least once with a stable Message-ID: a crash
//! between the SMTP server's acceptance and the "sent" mark may repeat an email after its
//! claim lapses (about a minute), never lose one; that is the only way a duplicate can
//! happen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::{self, Claimed};
use super::{Mailer, LINK_MARK};
use crate::config::Config;
use crate::db::Pool;

/// How the worker runs (from the configuration).
#[derive(Clone, Debug)]
pub struct Settings {
    pub smtp_url: String,
    pub from: String,
    pub retry_base: chrono::Duration,
    pub max_attempts: i32,
    pub lease: chrono::Duration,
    /// How long one email's whole SMTP exchange may take: at most half the lease (30 s
    /// with the default lease of a minute), so a claim always outlasts its send.
    pub send_timeout: StdDuration,
    pub poll: StdDuration,
}

impl Settings {
    /// `None` when no SMTP server is configured: mail then stays queued.
    pub fn from_config(config: &Config) -> Option<Settings> {
        let smtp_url = config.smtp_url.as_ref()?.expose().to_owned();
        let base = config.mail.retry_base;
        Some(Settings {
            smtp_url,
            from: config.mail_from.clone(),
            retry_base: chrono::Duration::from_std(base).unwrap_or(chrono::Duration::seconds(30)),
            max_attempts: config.mail.max_attempts,
            lease: chrono::Duration::from_std(config.mail.lease)
                .unwrap_or(chrono::Duration::minutes(1)),
            send_timeout: (config.mail.lease / 2).min(StdDuration::from_secs(30)),
            poll: base.min(StdDuration::from_secs(1)),
        })
    }
}

/// A running worker; [`Handle::stop`] ends it after the email in hand.
pub struct Handle {
    stop: Arc<AtomicBool>,
}

impl Handle {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Starts the worker on the current Tokio runtime.
pub fn spawn(pool: Pool, mailer: Mailer, settings: Settings) -> Option<Handle> {
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url) {
        Ok(b) => b.timeout(Some(settings.send_timeout)).build(),
        Err(e) => {
            tracing::error!("KEYFOLD_SMTP_URL cannot be used ({e}); mail stays in the outbox");
            return None;
        }
    };
    let from: Mailbox = match settings.from.parse() {
        Ok(f) => f,
        Err(e) => {
            tracing::error!("KEYFOLD_MAIL_FROM is not an address ({e}); mail stays in the outbox");
            return None;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let worker = Worker {
        id: format!("w-{}", &crate::domain::token::random_token()[..12]),
        pool,
        mailer,
        settings,
        transport,
        from,
        stop: stop.clone(),
    };
    tokio::spawn(worker.run());
    Some(Handle { stop })
}

/// Without SMTP no worker runs, but sealed tokens must still not outlive their links:
/// this erases expired ones every minute.
pub fn spawn_sweeper(pool: Pool) -> Handle {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    tokio::spawn(async move {
        while !stopped.load(Ordering::SeqCst) {
            let p = pool.clone();
            let _ = tokio::task::spawn_blocking(move || {
                let mut conn = p.get().map_err(|e| e.to_string())?;
                outbox::erase_expired_tokens(&mut conn).map_err(|e| e.to_string())
            })
            .await;
            tokio::time::sleep(StdDuration::from_secs(60)).await;
        }
    });
    Handle { stop }
}

struct Worker {
    id: String,
    pool: Pool,
    mailer: Mailer,
    settings: Settings,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    stop: Arc<AtomicBool>,
}

impl Worker {
    async fn run(self) {
        tracing::info!(worker = %self.id, "mail worker started");
        let mut since_sweep = std::time::Instant::now();
        while !self.stop.load(Ordering::SeqCst) {
            // One email at a time, each under a lease that outlasts its whole send: a
            // batch's later emails could outlive their claim while the first are sent,
            // and another instance would take them over and send them too.
            let batch = self
                .db(move |conn, w_id, lease| outbox::claim(conn, &w_id, lease, 1))
                .await;
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!("mail worker cannot reach the database: {e}");
                    Vec::new()
                }
            };
            let idle = batch.is_empty();
            for email in batch {
                self.deliver(email).await;
            }
            if since_sweep.elapsed() > StdDuration::from_secs(60) {
                since_sweep = std::time::Instant::now();
                let _ = self
                    .db(|conn, _, _| outbox::erase_expired_tokens(conn))
                    .await;
            }
            if idle {
                tokio::time::sleep(self.settings.poll).await;
            }
        }
    }

    /// Runs blocking database work with a pooled connection.
    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut crate::db::DbConnection, String, chrono::Duration) -> diesel::QueryResult<T>
            + Send
            + 'static,
    ) -> Result<T, String> {
        let pool = self.pool.clone();
        let (id, lease) = (self.id.clone(), self.settings.lease);
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            f(&mut conn, id, lease).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    async fn deliver(&self, email: Claimed) {
        let id = email.id;
        let message = match self.message(&email) {
            Ok(m) => m,
            Err(Permanent(reason)) => {
                let _ = self
                    .db(move |conn, _, _| outbox::give_up(conn, id, &reason))
                    .await;
                return;
            }
        };
        let sent =
            match tokio::time::timeout(self.settings.send_timeout, self.transport.send(message))
                .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("the SMTP exchange took too long".to_owned()),
            };
        match sent {
            Ok(_) => {
                let r = self
                    .db(move |conn, w, _| outbox::mark_sent(conn, id, &w))
                    .await;
                if let Err(e) = r {
                    tracing::warn!(
                        email = id.0,
                        "sent, but not marked sent ({e}); it may repeat"
                    );
                }
            }
            Err(error) => {
                tracing::warn!(email = id.0, "sending failed: {error}");
                let (base, max) = (self.settings.retry_base, self.settings.max_attempts);
                let _ = self
                    .db(move |conn, w, _| {
                        outbox::mark_attempt_failed(conn, &email, &w, &error, base, max)
                    })
                    .await;
            }
        }
    }

    /// The message, with the live link in place of the mark.
    fn message(&self, email: &Claimed) -> Result<Message, Permanent> {
        let (text, html) = if email.body_text.contains(LINK_MARK) {
            if email
                .token_expires_at
                .is_some_and(|t| t <= crate::db::now())
            {
                return Err(Permanent(
                    "Not sent: its link expired before it could be delivered.".to_owned(),
                ));
            }
            let token = email
                .sealed_token
                .as_deref()
                .and_then(|s| self.mailer.sealer.open(s))
                .ok_or_else(|| {
                    Permanent("Not sent: its link cannot be read (the server key changed).".into())
                })?;
            let link = format!(
                "{}{token}",
                email.link_prefix.as_deref().unwrap_or_default()
            );
            (
                email.body_text.replace(LINK_MARK, &link),
                email.body_html.replace(LINK_MARK, &escape_html(&link)),
            )
        } else {
            (email.body_text.clone(), email.body_html.clone())
        };
        let to: Mailbox = format!("{} <{}>", quote_name(&email.to_name), email.to_email)
            .parse()
            .or_else(|_| email.to_email.parse())
            .map_err(|e| {
                Permanent(format!(
                    "Not sent: the recipient's address is invalid ({e})."
                ))
            })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html),
                    ),
            )
            .map_err(|e| Permanent(format!("Not sent: the message cannot be built ({e}).")))
    }
}

/// A failure that retrying cannot cure.
struct Permanent(String);

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn quote_name(name: &str) -> String {
    format!("\"{}\"", name.replace(['"', '\\'], ""))
}
