//! Delivery of the outbox: each message to its channel, a webhook (HTTP POST of the notice as
//! JSON) or an e-mail (SMTP), at least once.
//!
//! A message leaves the outbox only when its channel took it (a 2xx answer; the SMTP server's
//! acceptance) or after [`Retry::attempts`] failures; between failures it waits, doubling from
//! [`Retry::first`] up to [`Retry::max`]. A message that was delivered but whose removal did not
//! reach the disk (a crash in between) goes again after a restart: receivers drop repeats by the
//! notice's `id`, the log entry's hash.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use ehr_client::gateway::now_ms;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use lettre::{
	message::{header::ContentType, Mailbox},
	transport::smtp::authentication::Credentials,
	AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};
use tokio::sync::{Mutex, Notify};

use crate::{
	store::{Channel, Message, Store},
	Error, Notice, Result,
};

/// How long one delivery attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// Messages attempted at once.
pub const BATCH: usize = 32;

/// When to try a failed message again, and when to give up.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
	/// Wait after the first failure.
	pub first: Duration,
	/// Longest wait between two attempts.
	pub max: Duration,
	/// Attempts after which a message is given up on.
	pub attempts: u32,
}

impl Default for Retry {
	fn default() -> Self {
		Retry { first: Duration::from_secs(1), max: Duration::from_secs(300), attempts: 12 }
	}
}

impl Retry {
	/// The wait after failed attempt number `attempt` (from 1): `first * 2^(attempt - 1)`, at most
	/// `max`.
	pub fn backoff(&self, attempt: u32) -> Duration {
		let factor = 1u32.checked_shl(attempt.saturating_sub(1).min(30)).unwrap_or(u32::MAX);
		self.first.saturating_mul(factor).min(self.max)
	}
}

/// How to reach the SMTP server.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
	/// Host name or address.
	pub host: String,
	/// Port.
	pub port: u16,
	/// The sender (`From:`), e.g. `ehr-notify <notify@hospital.example>`.
	pub from: String,
	/// Whether to require STARTTLS (the certificate checked against `host`).
	pub starttls: bool,
	/// User name and password, if the server wants them (only over STARTTLS).
	pub credentials: Option<(String, String)>,
}

/// An SMTP client.
pub struct Smtp {
	transport: AsyncSmtpTransport<Tokio1Executor>,
	from: Mailbox,
}

impl Smtp {
	/// A client of the server `config` names.
	pub fn new(config: SmtpConfig) -> Result<Smtp> {
		let from: Mailbox = config
			.from
			.parse()
			.map_err(|e| Error::Config(format!("sender {:?}: {e}", config.from)))?;
		let mut builder = if config.starttls {
			AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
				.map_err(|e| Error::Config(format!("SMTP STARTTLS to {}: {e}", config.host)))?
		} else {
			if config.credentials.is_some() {
				return Err(Error::Config("SMTP credentials are sent only over STARTTLS".into()));
			}
			AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
		};
		builder = builder.port(config.port).timeout(Some(ATTEMPT_TIMEOUT));
		if let Some((user, password)) = config.credentials {
			builder = builder.credentials(Credentials::new(user, password));
		}
		Ok(Smtp { transport: builder.build(), from })
	}

	/// Sends `notice` to `to`.
	pub async fn send(&self, to: &str, notice: &Notice) -> std::result::Result<(), String> {
		let to: Mailbox = to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?;
		let email = lettre::Message::builder()
			.from(self.from.clone())
			.to(to)
			.subject(notice.subject_line())
			.header(ContentType::TEXT_PLAIN)
			.body(notice.text())
			.map_err(|e| format!("building the e-mail: {e}"))?;
		self.transport.send(email).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
	}
}

/// An HTTP(S) client for webhooks.
pub type WebhookClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A webhook client: HTTPS checked against the Mozilla roots (webpki-roots), or plain HTTP.
pub fn webhook_client() -> Result<WebhookClient> {
	let https = hyper_rustls::HttpsConnectorBuilder::new()
		.with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
		.map_err(|e| Error::Config(format!("TLS: {e}")))?
		.https_or_http()
		.enable_http1()
		.build();
	Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// POSTs `notice` as JSON to `url`; `Ok` on a 2xx answer.
pub async fn post_webhook(
	client: &WebhookClient,
	url: &str,
	notice: &Notice,
) -> std::result::Result<(), String> {
	let body = serde_json::to_vec(notice).map_err(|e| format!("encoding the notice: {e}"))?;
	let request = hyper::Request::builder()
		.method(hyper::Method::POST)
		.uri(url)
		.header(hyper::header::CONTENT_TYPE, "application/json")
		.header(hyper::header::USER_AGENT, "ehr-notify")
		.header("x-ehr-notice", format!("{:?}", notice.id))
		.body(Full::new(Bytes::from(body)))
		.map_err(|e| format!("request to {url}: {e}"))?;
	let response = client.request(request).await.map_err(|e| format!("POST {url}: {e}"))?;
	let status = response.status();
	if status.is_success() {
		Ok(())
	} else {
		Err(format!("POST {url}: HTTP {status}"))
	}
}

/// Delivers one store's outbox.
pub struct Deliverer {
	/// The store.
	pub store: Arc<Mutex<Store>>,
	/// Woken when messages enter the outbox.
	pub wake: Arc<Notify>,
	/// The webhook client.
	pub webhooks: WebhookClient,
	/// The SMTP client, if e-mail is configured.
	pub smtp: Option<Smtp>,
	/// When to retry and give up.
	pub retry: Retry,
}

impl Deliverer {
	/// Delivers forever: the messages due, at once, then waits for new ones or the next retry.
	pub async fn run(self) {
		loop {
			let now = now_ms();
			let (due, next) = {
				let store = self.store.lock().await;
				(store.due(now, BATCH), store.next_due())
			};
			if due.is_empty() {
				// Woken by the follower, else at the next retry (at least once a minute).
				let wait = next.map_or(60_000, |t| t.saturating_sub(now)).clamp(10, 60_000);
				tokio::select! {
					_ = self.wake.notified() => {},
					_ = tokio::time::sleep(Duration::from_millis(wait)) => {},
				}
				continue;
			}
			let outcomes = futures::future::join_all(due.iter().map(|m| self.attempt(m))).await;
			for (message, outcome) in due.iter().zip(outcomes) {
				if let Err(e) = self.settle(message, outcome).await {
					eprintln!("ehr-notify: writing the outbox: {e}");
					// The store could not be written: wait rather than spin.
					tokio::time::sleep(Duration::from_secs(1)).await;
				}
			}
		}
	}

	/// One attempt at delivering `message`.
	pub async fn attempt(&self, message: &Message) -> std::result::Result<(), String> {
		let send = async {
			match &message.channel {
				Channel::Webhook(url) => post_webhook(&self.webhooks, url, &message.notice).await,
				Channel::Email(to) => match &self.smtp {
					Some(smtp) => smtp.send(to, &message.notice).await,
					None => Err("no SMTP server configured (--smtp)".into()),
				},
			}
		};
		match tokio::time::timeout(ATTEMPT_TIMEOUT, send).await {
			Ok(outcome) => outcome,
			Err(_) => Err(format!("no answer within {ATTEMPT_TIMEOUT:?}")),
		}
	}

	async fn settle(
		&self,
		message: &Message,
		outcome: std::result::Result<(), String>,
	) -> Result<()> {
		let mut store = self.store.lock().await;
		match outcome {
			Ok(()) => store.remove(message.id),
			Err(e) => {
				let attempt = message.attempts.saturating_add(1);
				if attempt >= self.retry.attempts {
					eprintln!(
						"ehr-notify: giving up on message {} ({:?}) to {:?} after {attempt} \
						 attempts: {e}",
						message.id, message.notice.id, message.channel
					);
					store.remove(message.id)
				} else {
					let wait = self.retry.backoff(attempt);
					eprintln!(
						"ehr-notify: message {} to {:?} failed (attempt {attempt}), again in \
						 {wait:?}: {e}",
						message.id, message.channel
					);
					let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
					store.retry_at(message.id, now_ms().saturating_add(wait_ms))
				}
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn backoff_doubles_up_to_the_maximum() {
		let r = Retry { first: Duration::from_secs(1), max: Duration::from_secs(10), attempts: 5 };
		let waits: Vec<u64> = (1..=6).map(|a| r.backoff(a).as_secs()).collect();
		assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
		assert_eq!(r.backoff(200), Duration::from_secs(10));
	}
}
