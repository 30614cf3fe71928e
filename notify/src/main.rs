//! `ehr-notify`: tells patients of emergency access, reads and refusals of their records.
//!
//! ```text
//! ehr-notify run         --data-dir DIR [--rpc URL] [--listen 127.0.0.1:8450]
//!                        [--smtp HOST:PORT --smtp-from ADDR [--smtp-starttls]]
//! ehr-notify subscribe   --suri //Patient --notify URL [--webhook URL] [--email ADDR]
//!                        [--kinds emergency,read,refusal]
//! ehr-notify unsubscribe --suri //Patient --notify URL
//! ```
//!
//! `run` follows the node's finalized blocks and delivers the notices of subscribed patients;
//! SMTP credentials, if the server wants them, come from `EHR_NOTIFY_SMTP_USER` and
//! `EHR_NOTIFY_SMTP_PASSWORD` (STARTTLS only). `subscribe` and `unsubscribe` sign the request
//! with the patient's account for the chain of the node `--rpc` points at and send it to the
//! service at `--notify`; they print its JSON answer and exit with 1 on a refusal.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use clap::{Parser, Subcommand};
use ehr_client::{
	gateway::{new_nonce, now_ms},
	runtime::AccountId,
	Rpc, Signer,
};
use ehr_notify::{
	deliver::{self, Deliverer, Retry, Smtp, SmtpConfig},
	follow::Follower,
	http::{self, Service},
	store::Store,
	subscription::{self, MAX_REQUEST_TTL_MS},
	Error, Kind, Result, Subscribe, Unsubscribe,
};
use sp_core::crypto::Ss58Codec;
use tokio::sync::{Mutex, Notify};

/// Notifications of ehr-chain access-log entries to the patients who subscribed.
#[derive(Debug, Parser)]
#[command(name = "ehr-notify", version)]
struct Args {
	/// HTTP JSON-RPC URL of a node.
	#[arg(long, global = true, default_value = "http://127.0.0.1:9944")]
	rpc: String,
	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// Follow the chain and deliver notices; serve subscriptions.
	Run {
		/// Directory of the service's store (subscriptions, cursor, outbox).
		#[arg(long)]
		data_dir: PathBuf,
		/// Address of the subscription endpoint.
		#[arg(long, default_value = "127.0.0.1:8450")]
		listen: SocketAddr,
		/// SMTP server, `host:port`; without it no e-mail is sent.
		#[arg(long)]
		smtp: Option<String>,
		/// Sender of the e-mails, e.g. `notify@hospital.example`.
		#[arg(long, default_value = "ehr-notify@localhost")]
		smtp_from: String,
		/// Require STARTTLS, the certificate checked against the SMTP host name.
		#[arg(long)]
		smtp_starttls: bool,
		/// On a fresh data directory, start after this block instead of the finalized head.
		#[arg(long)]
		from_block: Option<u32>,
		/// How often the finalized head is asked, in ms.
		#[arg(long, default_value_t = 1000)]
		poll_ms: u64,
		/// Undelivered messages at which the follower waits before reading further blocks.
		#[arg(long, default_value_t = 10_000)]
		max_outbox: usize,
		/// Attempts after which a message is given up on.
		#[arg(long, default_value_t = 12)]
		max_attempts: u32,
		/// Wait after a message's first failure, in ms (doubling, up to five minutes).
		#[arg(long, default_value_t = 1000)]
		retry_ms: u64,
	},
	/// Subscribe a patient: sign and send a subscription.
	Subscribe {
		/// Secret URI of the patient's account.
		#[arg(long)]
		suri: String,
		/// The patient (SS58); the signer's own account if left out. Only the patient's own
		/// subscription is taken: this is for testing that.
		#[arg(long)]
		patient: Option<String>,
		/// URL of the notification service.
		#[arg(long, default_value = "http://127.0.0.1:8450")]
		notify: String,
		/// Webhook to POST notices to.
		#[arg(long)]
		webhook: Option<String>,
		/// E-mail address to send notices to.
		#[arg(long)]
		email: Option<String>,
		/// Kinds to be told of, comma-separated: emergency, read, refusal, grant.
		#[arg(long, value_delimiter = ',', default_value = "emergency,read,refusal")]
		kinds: Vec<Kind>,
	},
	/// End a patient's subscription.
	Unsubscribe {
		/// Secret URI of the patient's account.
		#[arg(long)]
		suri: String,
		/// URL of the notification service.
		#[arg(long, default_value = "http://127.0.0.1:8450")]
		notify: String,
	},
}

#[tokio::main]
async fn main() {
	let args = Args::parse();
	if let Err(e) = dispatch(args).await {
		eprintln!("ehr-notify: {e}");
		std::process::exit(1);
	}
}

async fn dispatch(args: Args) -> Result<()> {
	let rpc = Rpc::new(&args.rpc)?;
	match args.command {
		Command::Run {
			data_dir,
			listen,
			smtp,
			smtp_from,
			smtp_starttls,
			from_block,
			poll_ms,
			max_outbox,
			max_attempts,
			retry_ms,
		} => {
			let smtp = match smtp {
				Some(address) => Some(Smtp::new(smtp_config(&address, smtp_from, smtp_starttls)?)?),
				None => None,
			};
			let store = Arc::new(Mutex::new(Store::open(&data_dir)?));
			let wake = Arc::new(Notify::new());
			let follower = Follower {
				rpc: rpc.clone(),
				store: store.clone(),
				wake: wake.clone(),
				poll: Duration::from_millis(poll_ms.max(100)),
				max_outbox: max_outbox.max(1),
			};
			let cursor = follower.init(from_block).await?;
			let genesis = rpc.genesis_hash().await?;
			let listener = tokio::net::TcpListener::bind(listen).await?;
			let bound = listener.local_addr()?;
			let deliverer = Deliverer {
				store: store.clone(),
				wake,
				webhooks: deliver::webhook_client()?,
				smtp,
				retry: Retry {
					first: Duration::from_millis(retry_ms.max(1)),
					max: Duration::from_secs(300),
					attempts: max_attempts.max(1),
				},
			};
			// The test and an operator's script wait for this line.
			println!(
				"ehr-notify: listening on http://{bound}, following {} from block #{}",
				args.rpc, cursor.number
			);
			tokio::spawn(follower.run());
			tokio::spawn(deliverer.run());
			let service = Arc::new(Service { rpc, genesis, store });
			tokio::select! {
				served = http::serve(listener, service) => served,
				_ = tokio::signal::ctrl_c() => Ok(()),
			}
		},
		Command::Subscribe { suri, patient, notify, webhook, email, kinds } => {
			let signer = Signer::from_uri(&suri)?;
			let patient = match patient {
				Some(p) => AccountId::from_ss58check(&p)
					.map_err(|e| Error::Config(format!("patient {p}: {e:?}")))?,
				None => signer.account(),
			};
			let request = Subscribe {
				patient,
				signer: signer.account(),
				webhook,
				email,
				kinds,
				nonce: new_nonce(),
				expires_at: now_ms() + MAX_REQUEST_TTL_MS / 2,
				genesis: rpc.genesis_hash().await?,
			};
			send(&notify, "/subscribe", &subscription::sign(&request, signer.pair())).await
		},
		Command::Unsubscribe { suri, notify } => {
			let signer = Signer::from_uri(&suri)?;
			let request = Unsubscribe {
				patient: signer.account(),
				signer: signer.account(),
				nonce: new_nonce(),
				expires_at: now_ms() + MAX_REQUEST_TTL_MS / 2,
				genesis: rpc.genesis_hash().await?,
			};
			send(&notify, "/unsubscribe", &subscription::sign(&request, signer.pair())).await
		},
	}
}

fn smtp_config(address: &str, from: String, starttls: bool) -> Result<SmtpConfig> {
	let (host, port) = address
		.rsplit_once(':')
		.ok_or_else(|| Error::Config(format!("--smtp {address}: expected host:port")))?;
	let port = port.parse().map_err(|e| Error::Config(format!("--smtp port {port}: {e}")))?;
	let credentials =
		match (std::env::var("EHR_NOTIFY_SMTP_USER"), std::env::var("EHR_NOTIFY_SMTP_PASSWORD")) {
			(Ok(user), Ok(password)) => Some((user, password)),
			_ => None,
		};
	Ok(SmtpConfig { host: host.to_string(), port, from, starttls, credentials })
}

async fn send(
	notify: &str,
	path: &str,
	signed: &ehr_notify::subscription::SignedRequest,
) -> Result<()> {
	let client = deliver::webhook_client()?;
	let (status, answer) = http::post(&client, notify, path, signed).await?;
	println!("{answer}");
	if status == 200 {
		Ok(())
	} else {
		Err(Error::Endpoint(format!("refused (HTTP {status}): {}", answer["message"])))
	}
}
