//! The signed requests by which a patient subscribes to notices and unsubscribes, and the checks
//! every one passes before the service keeps anything.
//!
//! A request is signed as the document gateway's are (`ehr_client::gateway`): sr25519 over
//! `domain ++ SCALE(request)`, sent as a [`SignedRequest`] (the SCALE bytes and the signature as
//! `0x` hex). It names the patient and the signer, who must be the same account: a patient
//! subscribes for their own records only. It names the genesis hash of the chain, carries a
//! random nonce and expires within [`MAX_REQUEST_TTL_MS`], so it is good once, on one chain, for
//! a few minutes.

use codec::{Decode, Encode};
use ehr_runtime::AccountId;
use serde::{Deserialize, Serialize};
use sp_core::{sr25519, Pair, H256};

pub use ehr_client::gateway::SignedRequest;

use crate::Kind;

/// Signing domain of subscriptions.
pub const SUBSCRIBE_DOMAIN: &[u8] = b"ehr-chain/notify/subscribe/v1";
/// Signing domain of unsubscriptions.
pub const UNSUBSCRIBE_DOMAIN: &[u8] = b"ehr-chain/notify/unsubscribe/v1";
/// Longest a request may be valid for: the service refuses an expiry further ahead.
pub const MAX_REQUEST_TTL_MS: u64 = 5 * 60 * 1000;
/// Longest webhook URL kept.
pub const MAX_URL_LEN: usize = 2048;
/// Longest e-mail address kept (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// "Tell me of these kinds of entry in my access log, at these addresses": what a patient signs.
/// A new subscription of the same patient replaces the old one.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Subscribe {
	/// The patient whose access log is followed.
	pub patient: AccountId,
	/// Who signs: must be `patient`.
	pub signer: AccountId,
	/// Where to POST each notice as JSON (`http://` or `https://`), if anywhere.
	pub webhook: Option<String>,
	/// Where to e-mail each notice, if anywhere.
	pub email: Option<String>,
	/// The kinds of entry to be told of (at least one).
	pub kinds: Vec<Kind>,
	/// Random, never reused: the service refuses a request it has seen.
	pub nonce: [u8; 16],
	/// Unix time in ms after which the request is void (at most [`MAX_REQUEST_TTL_MS`] ahead).
	pub expires_at: u64,
	/// Genesis hash of the chain the request is for.
	pub genesis: H256,
}

/// "Stop telling me": what a patient signs to end their subscription.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Unsubscribe {
	/// The patient whose subscription ends.
	pub patient: AccountId,
	/// Who signs: must be `patient`.
	pub signer: AccountId,
	/// Random, never reused.
	pub nonce: [u8; 16],
	/// Unix time in ms after which the request is void.
	pub expires_at: u64,
	/// Genesis hash of the chain the request is for.
	pub genesis: H256,
}

/// A request signed by a patient, and the envelope the service checks first.
pub trait Request: Encode + Decode {
	/// The signing domain.
	const DOMAIN: &'static [u8];
	/// The patient the request is about.
	fn patient(&self) -> &AccountId;
	/// The account that must have signed.
	fn signer(&self) -> &AccountId;
	/// The request's nonce.
	fn nonce(&self) -> [u8; 16];
	/// Unix time in ms after which the request is void.
	fn expires_at(&self) -> u64;
	/// Genesis hash of the chain the request is for.
	fn genesis(&self) -> H256;
}

macro_rules! impl_request {
	($request:ty, $domain:expr) => {
		impl Request for $request {
			const DOMAIN: &'static [u8] = $domain;
			fn patient(&self) -> &AccountId {
				&self.patient
			}
			fn signer(&self) -> &AccountId {
				&self.signer
			}
			fn nonce(&self) -> [u8; 16] {
				self.nonce
			}
			fn expires_at(&self) -> u64 {
				self.expires_at
			}
			fn genesis(&self) -> H256 {
				self.genesis
			}
		}
	};
}

impl_request!(Subscribe, SUBSCRIBE_DOMAIN);
impl_request!(Unsubscribe, UNSUBSCRIBE_DOMAIN);

/// Why the service refused a request. The HTTP answer names it (`{"error": "badSignature",
/// ...}`) with the status of [`Refusal::status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum Refusal {
	/// Not a well-formed request of this endpoint.
	#[error("malformed request")]
	Malformed,
	/// The signature is missing, wrong, or not by the account the request names as signer.
	#[error("bad signature")]
	BadSignature,
	/// The signer is not the patient: a patient subscribes for their own records only.
	#[error("the signer is not the patient")]
	NotThePatient,
	/// The request is for another chain.
	#[error("the request is for another chain")]
	WrongChain,
	/// The request has expired, or its expiry is too far ahead.
	#[error("the request has expired or its expiry is too far ahead")]
	Expired,
	/// The request's nonce was already used.
	#[error("the request's nonce was already used")]
	Replayed,
	/// The chain knows no patient with this account.
	#[error("the chain knows no such patient")]
	UnknownPatient,
	/// No channel, no kind, or a webhook URL or e-mail address that is not one.
	#[error("bad channels or kinds")]
	BadChannel,
	/// The patient has no subscription to end.
	#[error("no subscription")]
	NotSubscribed,
	/// The service could not ask the chain or write its store; try again.
	#[error("the service is unavailable")]
	Unavailable,
}

impl Refusal {
	/// The HTTP status of the answer.
	pub fn status(self) -> u16 {
		match self {
			Refusal::Malformed | Refusal::WrongChain | Refusal::Expired | Refusal::BadChannel => {
				400
			},
			Refusal::BadSignature | Refusal::NotThePatient | Refusal::UnknownPatient => 403,
			Refusal::NotSubscribed => 404,
			Refusal::Replayed => 409,
			Refusal::Unavailable => 503,
		}
	}
}

fn signing_payload<R: Request>(request: &R) -> Vec<u8> {
	let mut m = R::DOMAIN.to_vec();
	request.encode_to(&mut m);
	m
}

/// Signs `request` with `pair` (which should be the account the request names as signer).
pub fn sign<R: Request>(request: &R, pair: &sr25519::Pair) -> SignedRequest {
	let signature = pair.sign(&signing_payload(request));
	SignedRequest::from_bytes(&request.encode(), &signature.0)
}

/// Decodes `signed` and checks what needs no chain: its signature by the signer it names over
/// its only encoding, that the signer is the patient, the chain (`genesis`) and the expiry
/// against `now` (ms since the Unix epoch). The service then checks the nonce and that the
/// chain knows the patient.
pub fn check<R: Request>(signed: &SignedRequest, genesis: H256, now: u64) -> Result<R, Refusal> {
	let (bytes, signature) = signed.to_bytes().ok_or(Refusal::Malformed)?;
	let request = R::decode(&mut &bytes[..]).map_err(|_| Refusal::Malformed)?;
	// The bytes must be the request's only encoding (no trailing bytes).
	if request.encode() != bytes {
		return Err(Refusal::Malformed);
	}
	let public = sr25519::Public::from_raw(*request.signer().as_ref());
	if !sr25519::Pair::verify(
		&sr25519::Signature::from_raw(signature),
		signing_payload(&request),
		&public,
	) {
		return Err(Refusal::BadSignature);
	}
	if request.signer() != request.patient() {
		return Err(Refusal::NotThePatient);
	}
	if request.genesis() != genesis {
		return Err(Refusal::WrongChain);
	}
	if request.expires_at() < now || request.expires_at() > now.saturating_add(MAX_REQUEST_TTL_MS) {
		return Err(Refusal::Expired);
	}
	Ok(request)
}

/// Checks a subscription's channels and kinds: at least one channel, at least one kind, a
/// webhook an absolute `http(s)://` URL with a host, an e-mail address one that SMTP takes.
pub fn check_channels(s: &Subscribe) -> Result<(), Refusal> {
	if (s.webhook.is_none() && s.email.is_none()) || s.kinds.is_empty() {
		return Err(Refusal::BadChannel);
	}
	if let Some(url) = &s.webhook {
		if url.len() > MAX_URL_LEN {
			return Err(Refusal::BadChannel);
		}
		let uri: hyper::Uri = url.parse().map_err(|_| Refusal::BadChannel)?;
		let scheme_ok = matches!(uri.scheme_str(), Some("http") | Some("https"));
		if !scheme_ok || uri.host().is_none_or(str::is_empty) {
			return Err(Refusal::BadChannel);
		}
	}
	if let Some(email) = &s.email {
		if email.len() > MAX_EMAIL_LEN || email.parse::<lettre::Address>().is_err() {
			return Err(Refusal::BadChannel);
		}
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	const NOW: u64 = 1_700_000_000_000;

	fn pair(uri: &str) -> sr25519::Pair {
		sr25519::Pair::from_string(uri, None).unwrap()
	}

	fn subscription(patient: &sr25519::Pair, signer: &sr25519::Pair) -> Subscribe {
		Subscribe {
			patient: patient.public().into(),
			signer: signer.public().into(),
			webhook: Some("http://127.0.0.1:8080/hook".into()),
			email: Some("patient@example.org".into()),
			kinds: vec![Kind::Emergency, Kind::Read, Kind::Refusal],
			nonce: [7; 16],
			expires_at: NOW + 60_000,
			genesis: H256::repeat_byte(1),
		}
	}

	#[test]
	fn a_subscription_signed_by_its_patient_checks() {
		let p = pair("//Patient");
		let s = subscription(&p, &p);
		let signed = sign(&s, &p);
		assert_eq!(check::<Subscribe>(&signed, H256::repeat_byte(1), NOW), Ok(s.clone()));
		assert_eq!(check_channels(&s), Ok(()));
	}

	#[test]
	fn a_subscription_signed_by_another_account_is_refused() {
		let (p, mallory) = (pair("//Patient"), pair("//Mallory"));
		// Naming the patient as signer, signed by Mallory: the signature does not check.
		let forged = sign(&subscription(&p, &p), &mallory);
		assert_eq!(
			check::<Subscribe>(&forged, H256::repeat_byte(1), NOW),
			Err(Refusal::BadSignature)
		);
		// Naming Mallory as signer, for the patient: signed, but not by the patient.
		let for_another = sign(&subscription(&p, &mallory), &mallory);
		assert_eq!(
			check::<Subscribe>(&for_another, H256::repeat_byte(1), NOW),
			Err(Refusal::NotThePatient)
		);
	}

	#[test]
	fn other_chains_expired_and_malformed_requests_are_refused() {
		let p = pair("//Patient");
		let s = subscription(&p, &p);
		let signed = sign(&s, &p);
		assert_eq!(
			check::<Subscribe>(&signed, H256::repeat_byte(2), NOW),
			Err(Refusal::WrongChain)
		);
		assert_eq!(
			check::<Subscribe>(&signed, H256::repeat_byte(1), NOW + 60_001),
			Err(Refusal::Expired)
		);
		let far = Subscribe { expires_at: NOW + MAX_REQUEST_TTL_MS + 1, ..s.clone() };
		assert_eq!(
			check::<Subscribe>(&sign(&far, &p), H256::repeat_byte(1), NOW),
			Err(Refusal::Expired)
		);
		// A subscription is no unsubscription (another domain), and trailing bytes are refused.
		assert!(check::<Unsubscribe>(&signed, H256::repeat_byte(1), NOW).is_err());
		let mut trailing = signed.clone();
		trailing.request.push_str("00");
		assert_eq!(
			check::<Subscribe>(&trailing, H256::repeat_byte(1), NOW),
			Err(Refusal::Malformed)
		);
		let not_hex = SignedRequest { request: "zz".into(), signature: signed.signature };
		assert_eq!(
			check::<Subscribe>(&not_hex, H256::repeat_byte(1), NOW),
			Err(Refusal::Malformed)
		);
	}

	#[test]
	fn channels_must_be_real_addresses() {
		let p = pair("//Patient");
		let s = subscription(&p, &p);
		let bad = [
			Subscribe { webhook: None, email: None, ..s.clone() },
			Subscribe { kinds: vec![], ..s.clone() },
			Subscribe { webhook: Some("ftp://example.org/x".into()), ..s.clone() },
			Subscribe { webhook: Some("/relative".into()), ..s.clone() },
			Subscribe { email: Some("not an address".into()), ..s.clone() },
		];
		for b in bad {
			assert_eq!(check_channels(&b), Err(Refusal::BadChannel), "{b:?}");
		}
		let https = Subscribe { webhook: Some("https://hooks.example.org/p".into()), ..s };
		assert_eq!(check_channels(&https), Ok(()));
	}
}
