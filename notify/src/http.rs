//! The service's HTTP endpoint, and a client of it.
//!
//! * `POST /subscribe`: body a [`SignedRequest`] of a [`Subscribe`]; answers `200` with the
//!   subscription taken, or the [`Refusal`] (`{"error": "badSignature", "message": ...}`) with
//!   its status;
//! * `POST /unsubscribe`: body a [`SignedRequest`] of an [`Unsubscribe`]; likewise;
//! * `GET /health`: the cursor, the number of subscriptions and of undelivered messages (no
//!   contact details).
//!
//! A request is taken only if [`subscription::check`] passes (signature by the patient, this
//! chain, not expired), its channels are real addresses, the chain knows the patient (the
//! registry's `is_patient` at the finalized block) and its nonce is new.

use std::{convert::Infallible, sync::Arc};

use bytes::Bytes;
use ehr_client::{gateway::now_ms, runtime::AccountId, Rpc};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sp_core::H256;
use tokio::{net::TcpListener, sync::Mutex};

use crate::{
	deliver::WebhookClient,
	store::{Applied, Store},
	subscription::{self, SignedRequest},
	Error, Refusal, Result, Subscribe, Unsubscribe,
};

/// Largest request body accepted.
pub const MAX_BODY: usize = 16 * 1024;

/// What the endpoint needs: the node (to know patients), the chain's genesis hash and the store.
pub struct Service {
	/// The node.
	pub rpc: Rpc,
	/// Genesis hash of its chain: requests must name it.
	pub genesis: H256,
	/// The store.
	pub store: Arc<Mutex<Store>>,
}

impl Service {
	/// Takes a signed subscription.
	pub async fn subscribe(&self, signed: &SignedRequest) -> std::result::Result<Value, Refusal> {
		let now = now_ms();
		let s: Subscribe = subscription::check(signed, self.genesis, now)?;
		subscription::check_channels(&s)?;
		self.ensure_patient(&s.patient).await?;
		let applied = self.store.lock().await.subscribe(&s, now).map_err(unavailable)?;
		applied_or(applied)?;
		Ok(json!({
			"patient": s.patient.to_string(),
			"webhook": s.webhook,
			"email": s.email,
			"kinds": s.kinds,
		}))
	}

	/// Takes a signed unsubscription.
	pub async fn unsubscribe(&self, signed: &SignedRequest) -> std::result::Result<Value, Refusal> {
		let now = now_ms();
		let u: Unsubscribe = subscription::check(signed, self.genesis, now)?;
		self.ensure_patient(&u.patient).await?;
		let applied = self.store.lock().await.unsubscribe(&u, now).map_err(unavailable)?;
		applied_or(applied)?;
		Ok(json!({ "patient": u.patient.to_string(), "unsubscribed": true }))
	}

	async fn ensure_patient(&self, who: &AccountId) -> std::result::Result<(), Refusal> {
		let at = self.rpc.finalized_hash().await.map_err(unavailable)?;
		let known: bool = self
			.rpc
			.runtime_call("HospitalRegistryApi_is_patient", who, Some(at))
			.await
			.map_err(unavailable)?;
		if known {
			Ok(())
		} else {
			Err(Refusal::UnknownPatient)
		}
	}

	async fn health(&self) -> Value {
		let store = self.store.lock().await;
		json!({
			"genesis": store.genesis(),
			"cursor": store.cursor(),
			"subscriptions": store.subscriptions(),
			"outbox": store.outbox_len(),
		})
	}

	async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
		let route = (request.method().clone(), request.uri().path().to_string());
		let answer = match (&route.0, route.1.as_str()) {
			(&Method::POST, "/subscribe") => match read_signed(request).await {
				Ok(signed) => self.subscribe(&signed).await,
				Err(r) => Err(r),
			},
			(&Method::POST, "/unsubscribe") => match read_signed(request).await {
				Ok(signed) => self.unsubscribe(&signed).await,
				Err(r) => Err(r),
			},
			(&Method::GET, "/health") => Ok(self.health().await),
			_ => return respond(404, &json!({ "error": "notFound" })),
		};
		match answer {
			Ok(v) => respond(200, &v),
			Err(r) => respond(r.status(), &json!({ "error": r, "message": r.to_string() })),
		}
	}
}

fn unavailable(e: impl std::fmt::Display) -> Refusal {
	eprintln!("ehr-notify: a request could not be served: {e}");
	Refusal::Unavailable
}

fn applied_or(applied: Applied) -> std::result::Result<(), Refusal> {
	match applied {
		Applied::Done => Ok(()),
		Applied::Replayed => Err(Refusal::Replayed),
		Applied::NotSubscribed => Err(Refusal::NotSubscribed),
	}
}

async fn read_signed(request: Request<Incoming>) -> std::result::Result<SignedRequest, Refusal> {
	let body = Limited::new(request.into_body(), MAX_BODY)
		.collect()
		.await
		.map_err(|_| Refusal::Malformed)?
		.to_bytes();
	serde_json::from_slice(&body).map_err(|_| Refusal::Malformed)
}

fn respond(status: u16, body: &Value) -> Response<Full<Bytes>> {
	let bytes = serde_json::to_vec(body).unwrap_or_default();
	let mut response = Response::new(Full::new(Bytes::from(bytes)));
	*response.status_mut() =
		hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
	response.headers_mut().insert(
		hyper::header::CONTENT_TYPE,
		hyper::header::HeaderValue::from_static("application/json"),
	);
	response
}

/// Serves the endpoint on `listener` forever, each connection in its own task.
pub async fn serve(listener: TcpListener, service: Arc<Service>) -> Result<()> {
	loop {
		let (stream, _) = listener.accept().await?;
		let service = service.clone();
		tokio::spawn(async move {
			let handler = service_fn(move |request| {
				let service = service.clone();
				async move { Ok::<_, Infallible>(service.handle(request).await) }
			});
			if let Err(e) =
				http1::Builder::new().serve_connection(TokioIo::new(stream), handler).await
			{
				eprintln!("ehr-notify: HTTP connection: {e}");
			}
		});
	}
}

/// POSTs `signed` to the endpoint `base` (e.g. `http://127.0.0.1:9955`) at `path`
/// (`/subscribe`, `/unsubscribe`); returns the HTTP status and the JSON answer.
pub async fn post(
	client: &WebhookClient,
	base: &str,
	path: &str,
	signed: &SignedRequest,
) -> Result<(u16, Value)> {
	let url = format!("{}{path}", base.trim_end_matches('/'));
	let body = serde_json::to_vec(signed).map_err(|e| Error::Endpoint(format!("{e}")))?;
	let request = Request::builder()
		.method(Method::POST)
		.uri(&url)
		.header(hyper::header::CONTENT_TYPE, "application/json")
		.body(Full::new(Bytes::from(body)))
		.map_err(|e| Error::Endpoint(format!("{url}: {e}")))?;
	let response =
		client.request(request).await.map_err(|e| Error::Endpoint(format!("{url}: {e}")))?;
	let status = response.status().as_u16();
	let bytes = response
		.into_body()
		.collect()
		.await
		.map_err(|e| Error::Endpoint(format!("{url}: {e}")))?
		.to_bytes();
	let answer = serde_json::from_slice(&bytes)
		.map_err(|e| Error::Endpoint(format!("{url}: HTTP {status}, not JSON: {e}")))?;
	Ok((status, answer))
}
