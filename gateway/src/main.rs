//! `ehr-gateway`: runs a hospital's document gateway next to its `ehr-node`.
//!
//! ```text
//! ehr-gateway --node-rpc http://127.0.0.1:9944 --listen 127.0.0.1:8440 \
//!     --base-path /var/lib/ehr-node --suri-file /etc/ehr/gateway.suri
//! ```
//!
//! With `--tls-cert` and `--tls-key` it serves HTTPS (the files are read again on SIGHUP);
//! plain HTTP is served on loopback only, unless `--allow-plain-http`.
//!
//! Documents are kept under the store directory, or with `--s3-bucket` in a bucket of
//! S3-compatible object storage that several gateways of the hospital may share.
//!
//! The account of `--suri-file` must be an active `Gateway` staff member of the hospital
//! (registered by its admin with `hospitalRegistry.registerStaff`); the gateway publishes its
//! custodian key for that account if the registry does not hold it yet. With
//! `--staff-directory <file>` it serves the hospital's staff directory, signed by its admin with
//! `ehr-doc directory sign`, read from the file on each call.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;

/// Document gateway of an ehr-chain hospital.
#[derive(Debug, Parser)]
#[command(name = "ehr-gateway", version)]
struct Args {
	/// HTTP JSON-RPC URL of the hospital's node.
	#[arg(long, default_value = "http://127.0.0.1:9944")]
	node_rpc: String,
	/// Address to serve the gateway's JSON-RPC on (the URL the hospital registered as its
	/// gateway URL must reach it).
	#[arg(long, default_value = "127.0.0.1:8440")]
	listen: SocketAddr,
	/// The node's base path: documents are kept under `<base-path>/gateway`.
	#[arg(long, conflicts_with = "store")]
	base_path: Option<PathBuf>,
	/// Keep the gateway's state (and documents, without `--s3-bucket`) in this directory
	/// instead.
	#[arg(long)]
	store: Option<PathBuf>,
	/// Keep the documents in this bucket of S3-compatible object storage (it must exist). The
	/// credentials come from the standard environment variables (`AWS_ACCESS_KEY_ID`,
	/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
	#[arg(long)]
	s3_bucket: Option<String>,
	/// The S3 service's URL (default: `AWS_ENDPOINT_URL`, else AWS itself by region).
	#[arg(long, requires = "s3_bucket")]
	s3_endpoint: Option<String>,
	/// The bucket's region (default: `AWS_REGION`, else `us-east-1`).
	#[arg(long, requires = "s3_bucket")]
	s3_region: Option<String>,
	/// A folder of the bucket that holds this hospital's documents.
	#[arg(long, requires = "s3_bucket", default_value = "")]
	s3_prefix: String,
	/// Allow a plain `http://` S3 endpoint off this machine (by default only loopback may be
	/// plain HTTP).
	#[arg(long, requires = "s3_bucket")]
	s3_allow_http: bool,
	/// Serve HTTPS with this certificate chain (PEM, leaf first); read again on SIGHUP.
	#[arg(long, requires = "tls_key")]
	tls_cert: Option<PathBuf>,
	/// The private key of `--tls-cert` (PEM); read again on SIGHUP.
	#[arg(long, requires = "tls_cert")]
	tls_key: Option<PathBuf>,
	/// Serve plain HTTP on an address other than loopback (behind a proxy that terminates TLS
	/// on the same host, say). Without it, such a gateway needs `--tls-cert`.
	#[arg(long, conflicts_with = "tls_cert")]
	allow_plain_http: bool,
	/// File holding the secret URI (mnemonic) of the gateway's account.
	#[arg(long, conflicts_with = "suri")]
	suri_file: Option<PathBuf>,
	/// The secret URI itself (development chains only: it shows in the process list).
	#[arg(long)]
	suri: Option<String>,
	/// File holding the secret URI the custodian key derives from, when the hospital's
	/// gateways share one (each with its own account); default: the account's own key.
	#[arg(long, conflicts_with = "custodian_suri")]
	custodian_suri_file: Option<PathBuf>,
	/// The custodian's secret URI itself (development chains only).
	#[arg(long)]
	custodian_suri: Option<String>,
	/// How many gateways of the hospital share the load and the store: each enforces its share
	/// of the limits, so that together they stay within them.
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
	replicas: u32,
	/// Largest sealed document accepted, in bytes (uploaded and served streamed).
	#[arg(long, default_value_t = 8 << 30)]
	max_document_size: u64,
	/// Largest sealed document sent whole inside a JSON-RPC body (`gateway_store`,
	/// `gateway_fetch`), in bytes; larger ones are streamed (`PUT /v1/documents`,
	/// `GET /v1/documents/<record>`).
	#[arg(long, default_value_t = 16 * 1024 * 1024)]
	max_inline_size: u64,
	/// Most streamed transfers (uploads and fetches on `/v1/documents`) under way at once;
	/// more are refused `TooManyRequests`.
	#[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
	max_transfers: u32,
	/// Seconds between two scans of finalized blocks for deleted records.
	#[arg(long, default_value_t = 2)]
	watch_every: u64,
	/// Do not publish the custodian key on chain (it must then be registered already).
	#[arg(long)]
	no_publish_key: bool,
	/// Most refused fetch attempts of one requester logged on chain a minute; more are
	/// refused `RateLimited` without a log entry (0: no limit).
	#[arg(long, default_value_t = 30)]
	refusals_per_requester: u32,
	/// Most refused fetch attempts of all requesters together logged on chain a minute
	/// (0: no limit). Refusals of accounts the chain does not know are never logged on chain.
	#[arg(long, default_value_t = 600)]
	refusals_total: u32,
	/// Most documents served to one requester a minute; more are refused `TooManyReads`
	/// without a log entry (0: no limit).
	#[arg(long, default_value_t = 60)]
	reads_per_requester: u32,
	/// Most JSON-RPC calls answered a second from one source address (an IPv6 /64 counts as
	/// one address); more are refused `TooManyRequests` (0: no limit).
	#[arg(long, default_value_t = 50)]
	requests_per_source: u32,
	/// Most calls in one JSON-RPC batch (0: batches are refused).
	#[arg(long, default_value_t = 16)]
	max_batch: u32,
	/// Largest JSON-RPC request or response body, in bytes (default: the largest inline
	/// document, base64-encoded, plus 64 KiB).
	#[arg(long)]
	max_body_size: Option<u32>,
	/// Serve no document while a read attempt has waited longer than this many seconds to be
	/// logged on chain (the journal drains at least once a block).
	#[arg(long, default_value_t = 60)]
	log_backlog_secs: u64,
	/// Serve no document while more read attempts than this wait to be logged on chain.
	#[arg(long, default_value_t = 1024)]
	log_backlog_entries: usize,
	/// The hospital's staff directory, signed by its admin (`ehr-doc directory sign` writes
	/// it): served by `gateway_staffDirectory`, read again on each call.
	#[arg(long)]
	staff_directory: Option<PathBuf>,
}

fn run(args: Args) -> Result<(), String> {
	let suri = match (&args.suri, &args.suri_file) {
		(Some(s), _) => s.clone(),
		(None, Some(f)) => std::fs::read_to_string(f)
			.map_err(|e| format!("{}: {e}", f.display()))?
			.trim()
			.to_string(),
		(None, None) => std::env::var("EHR_GATEWAY_SURI")
			.map_err(|_| "give --suri-file (or --suri, or EHR_GATEWAY_SURI)".to_string())?,
	};
	let custodian_suri = match (&args.custodian_suri, &args.custodian_suri_file) {
		(Some(s), _) => Some(s.clone()),
		(None, Some(f)) => Some(
			std::fs::read_to_string(f)
				.map_err(|e| format!("{}: {e}", f.display()))?
				.trim()
				.to_string(),
		),
		(None, None) => None,
	};
	let store_dir = match (args.store, args.base_path) {
		(Some(s), _) => s,
		(None, Some(b)) => b.join("gateway"),
		(None, None) => return Err("give --base-path (the node's) or --store".into()),
	};
	let config = ehr_gateway::Config {
		node_rpc: args.node_rpc,
		listen: args.listen,
		store_dir,
		suri,
		custodian_suri,
		replicas: args.replicas,
		max_document_size: args.max_document_size,
		max_inline_size: args.max_inline_size,
		max_transfers: args.max_transfers,
		watch_every: Duration::from_secs(args.watch_every.max(1)),
		publish_key: !args.no_publish_key,
		refusals_per_requester: args.refusals_per_requester,
		refusals_total: args.refusals_total,
		reads_per_requester: args.reads_per_requester,
		requests_per_source: args.requests_per_source,
		max_batch: args.max_batch,
		max_body_size: args.max_body_size,
		log_backlog_ms: args.log_backlog_secs.saturating_mul(1000),
		log_backlog_entries: args.log_backlog_entries,
		staff_directory: args.staff_directory,
		s3: args.s3_bucket.map(|bucket| ehr_gateway::objects::S3Config {
			bucket,
			endpoint: args.s3_endpoint,
			region: args.s3_region,
			prefix: args.s3_prefix,
			allow_http: args.s3_allow_http,
			credentials: None,
		}),
		tls: match (args.tls_cert, args.tls_key) {
			(Some(cert), Some(key)) => Some(ehr_gateway::tls::TlsFiles { cert, key }),
			_ => None,
		},
		allow_plain_http: args.allow_plain_http,
	};
	let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
	rt.block_on(async {
		let running = ehr_gateway::start(config).await?;
		// SIGTERM (`docker stop`, systemd) stops it as SIGINT does.
		let mut terminate =
			tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
				.map_err(|e| format!("SIGTERM handler: {e}"))?;
		tokio::select! {
			_ = running.handle.clone().stopped() => {},
			_ = tokio::signal::ctrl_c() => {
				ehr_gateway::log("SIGINT: stopping");
				let _ = running.handle.stop();
			},
			_ = terminate.recv() => {
				ehr_gateway::log("SIGTERM: stopping");
				let _ = running.handle.stop();
			},
		}
		Ok(())
	})
}

fn main() {
	if let Err(e) = run(Args::parse()) {
		ehr_gateway::log(e);
		std::process::exit(1);
	}
}
