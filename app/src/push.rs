//! Web Push, so a technician's phone alerts with the app closed: VAPID (RFC 8292) identifies us to the
//! browser's push service, and the payload is encrypted for the one device (RFC 8291, aes128gcm of RFC 8188).
//! No third-party push library: the whole protocol is these two functions and one POST, to an endpoint
//! `endpoint` has checked.

mod endpoint;

use std::sync::Arc;

use aes_gcm::{Aes128Gcm, KeyInit, aead::Aead};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use hkdf::Hkdf;
use p256::{
    PublicKey, SecretKey,
    ecdsa::{Signature, SigningKey, signature::Signer},
    elliptic_curve::sec1::ToEncodedPoint,
};
use sha2::Sha256;

pub use endpoint::{EndpointError, PushEndpoint, is_public};

/// Our VAPID identity: one P-256 key, made on first start and kept in the database.
#[derive(Clone)]
pub struct Vapid {
    key: SecretKey,
}

impl Vapid {
    pub fn generate() -> Vapid {
        Vapid { key: random_secret() }
    }

    pub fn from_private(b64: &str) -> Option<Vapid> {
        let bytes = B64.decode(b64).ok()?;
        SecretKey::from_slice(&bytes).ok().map(|key| Vapid { key })
    }

    pub fn private(&self) -> String {
        B64.encode(self.key.to_bytes())
    }

    /// The `applicationServerKey` a browser subscribes with: the uncompressed point, base64url.
    pub fn public(&self) -> String {
        B64.encode(self.key.public_key().to_encoded_point(false).as_bytes())
    }

    /// `Authorization: vapid t=<JWT>, k=<public key>` for one push service (the JWT's audience is its origin).
    pub fn authorization(&self, endpoint: &str, subject: &str, now_s: u64) -> Option<String> {
        let audience = origin(endpoint)?;
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        // Twelve hours: the longest the push services accept is 24.
        let claims = serde_json::json!({ "aud": audience, "exp": now_s + 12 * 3600, "sub": subject });
        let claims = B64.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = SigningKey::from(&self.key).sign(signing_input.as_bytes());
        Some(format!("vapid t={signing_input}.{}, k={}", B64.encode(signature.to_bytes()), self.public()))
    }
}

fn origin(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

fn random_secret() -> SecretKey {
    loop {
        let bytes: [u8; 32] = rand::random();
        // All but a vanishing fraction of 32-byte strings are valid scalars.
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return key;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the device's key (p256dh) is not a P-256 public key")]
    BadPublicKey,
    #[error("the device's auth secret must be 16 bytes")]
    BadAuth,
}

/// A device's keys, as its browser handed them over (base64url), checked.
#[derive(Clone, Debug)]
pub struct DeviceKeys {
    public: PublicKey,
    auth: [u8; 16],
}

impl DeviceKeys {
    pub fn parse(p256dh: &str, auth: &str) -> Result<DeviceKeys, KeyError> {
        let public = B64
            .decode(p256dh.trim_end_matches('='))
            .ok()
            .filter(|b| b.len() == 65)
            .and_then(|b| PublicKey::from_sec1_bytes(&b).ok())
            .ok_or(KeyError::BadPublicKey)?;
        let auth = B64
            .decode(auth.trim_end_matches('='))
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .ok_or(KeyError::BadAuth)?;
        Ok(DeviceKeys { public, auth })
    }
}

/// The record size we declare; our payloads are far smaller, so there is one record.
const RECORD_SIZE: u32 = 4096;

/// Encrypts `payload` for one device: a fresh ephemeral key and salt for every message.
pub fn encrypt(payload: &[u8], device: &DeviceKeys) -> Vec<u8> {
    encrypt_with(payload, device, &random_secret(), &rand::random())
}

fn encrypt_with(payload: &[u8], device: &DeviceKeys, ephemeral: &SecretKey, salt: &[u8; 16]) -> Vec<u8> {
    let ua_public = device.public.to_encoded_point(false);
    let as_public = ephemeral.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), device.public.as_affine());
    // RFC 8291 §3.4: mix the auth secret and both public keys into the input keying material.
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public.as_bytes());
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    expand(&device.auth, shared.raw_secret_bytes(), &key_info, &mut ikm);
    // RFC 8188 §2.2: content key and nonce from the salt.
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    expand(salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut cek);
    expand(salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce);
    // One record, so it is the last: padding delimiter 0x02.
    let mut plaintext = payload.to_vec();
    plaintext.push(2);
    let cipher = Aes128Gcm::new((&cek).into());
    let ciphertext = cipher.encrypt((&nonce).into(), plaintext.as_slice()).unwrap_or_default();

    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + ciphertext.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&ciphertext);
    body
}

fn expand(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    // Output lengths here (12, 16, 32) are far below HKDF's limit of 255 × 32 bytes.
    let _ = Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, out);
}

/// What became of one push. The reason a push failed is for our logs and the store, never for the member who
/// asked: it would tell them how some other server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// The push service no longer knows the subscription (404/410): forget it.
    Gone,
    Failed(String),
}

/// Sends pushes. `subject` tells push services whom to contact (our public URL or a mailto:).
#[derive(Clone)]
pub struct Pusher {
    pub vapid: Vapid,
    subject: String,
    /// Plain http to a loopback IP literal: only for the test suite's own push service.
    loopback_http: bool,
    client: reqwest::Client,
}

impl Pusher {
    pub fn new(vapid: Vapid, subject: String, loopback_http: bool) -> Result<Pusher, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            // A push service answers; it never sends us on. A redirect could lead anywhere, unchecked.
            .redirect(reqwest::redirect::Policy::none())
            // Straight to the address our resolver checked: through a proxy, the proxy would pick it.
            .no_proxy()
            .dns_resolver(Arc::new(endpoint::PublicOnly))
            .build()?;
        Ok(Pusher { vapid, subject, loopback_http, client })
    }

    /// Whether this server may push to `text`, as far as the URL tells (what its host resolves to is checked
    /// by `PushEndpoint::resolve_public`, and again by the client when it connects).
    pub fn endpoint(&self, text: &str) -> Result<PushEndpoint, EndpointError> {
        PushEndpoint::parse(text, self.loopback_http)
    }

    /// One encrypted message to one device. `urgency: high` asks phones to wake for it.
    pub async fn send(&self, endpoint: &str, device: &DeviceKeys, payload: &[u8], ttl_s: u32) -> Delivery {
        // Checked again at every send: a stored endpoint may predate a rule, and an IP literal never meets the
        // client's resolver.
        let endpoint = match self.endpoint(endpoint) {
            Ok(endpoint) => endpoint,
            Err(e) => return Delivery::Failed(format!("endpoint refused: {e}")),
        };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let Some(authorization) = self.vapid.authorization(endpoint.as_str(), &self.subject, now) else {
            return Delivery::Failed("the endpoint is not a URL".into());
        };
        let sent = self
            .client
            .post(endpoint.as_str())
            .header("authorization", authorization)
            .header("content-encoding", "aes128gcm")
            .header("content-type", "application/octet-stream")
            .header("ttl", ttl_s.to_string())
            .header("urgency", "high")
            .body(encrypt(payload, device))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Delivery::Delivered,
            Ok(r) if matches!(r.status().as_u16(), 404 | 410) => Delivery::Gone,
            Ok(r) => Delivery::Failed(format!("push service answered {}", r.status())),
            Err(e) => Delivery::Failed(format!("push service unreachable: {}", without_endpoint(e))),
        }
    }
}

/// A send error, and what caused it, without the endpoint: its path names one person's device.
fn without_endpoint(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut said = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(e) = cause {
        said.push_str(": ");
        said.push_str(&e.to_string());
        cause = e.source();
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::{VerifyingKey, signature::Verifier};

    /// RFC 8291 §5 / Appendix A, value for value.
    #[test]
    fn encrypts_the_rfc_8291_example_byte_for_byte() {
        let device = DeviceKeys::parse(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "BTBZMqHH6r4Tts7J_aSIgg",
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let ephemeral =
            Vapid::from_private("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw").unwrap_or_else(|| unreachable!()).key;
        let salt: [u8; 16] =
            B64.decode("DGv6ra1nlYgDCS1FRnbzlw").ok().and_then(|s| s.try_into().ok()).unwrap_or_default();
        let body = encrypt_with(b"When I grow up, I want to be a watermelon", &device, &ephemeral, &salt);
        assert_eq!(
            B64.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn the_vapid_token_is_signed_for_the_push_services_origin() {
        let vapid = Vapid::generate();
        let header = vapid
            .authorization("https://push.example:8443/send/abc", "mailto:ops@example.com", 1_000)
            .unwrap_or_default();
        let (t, k) = header.strip_prefix("vapid t=").and_then(|r| r.split_once(", k=")).unwrap_or_default();
        assert_eq!(k, vapid.public());
        let (signed, signature) = t.rsplit_once('.').unwrap_or_default();
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(signed.split('.').nth(1).unwrap_or_default()).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(claims["aud"], "https://push.example:8443");
        assert_eq!(claims["exp"], 1_000 + 12 * 3600);
        let key =
            VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap_or_default()).unwrap_or_else(|e| unreachable!("{e}"));
        let signature =
            Signature::from_slice(&B64.decode(signature).unwrap_or_default()).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(key.verify(signed.as_bytes(), &signature).is_ok());
        // The key survives the database.
        let again = Vapid::from_private(&vapid.private()).map(|v| v.public());
        assert_eq!(again, Some(vapid.public()));
    }

    fn rfc_device() -> DeviceKeys {
        DeviceKeys::parse(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "BTBZMqHH6r4Tts7J_aSIgg",
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn pusher(loopback_http: bool) -> Pusher {
        Pusher::new(Vapid::generate(), "mailto:ops@example.com".into(), loopback_http)
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[tokio::test]
    async fn the_push_client_connects_only_to_addresses_its_resolver_checked() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| unreachable!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        // Straight to the client, past `send`'s own check of the URL: the name resolves to loopback.
        let sent = pusher(true).client.post(format!("https://localhost:{port}/push/x")).send().await;
        assert!(sent.is_err());
        let accepted = tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the client connected to loopback");
    }

    #[tokio::test]
    async fn a_failed_push_does_not_name_the_device() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| unreachable!("{e}"));
            listener.local_addr().map(|a| a.port()).unwrap_or_default()
        };
        // Nobody listens there any more: the connection is refused.
        let endpoint = format!("http://127.0.0.1:{port}/push/sams-phone-secret");
        let Delivery::Failed(why) = pusher(true).send(&endpoint, &rfc_device(), b"{}", 60).await else {
            unreachable!("a push to a closed port was delivered")
        };
        assert!(why.contains("unreachable") && !why.contains("sams-phone-secret"), "{why}");
        // Refused before sending, too.
        let Delivery::Failed(why) = pusher(false).send(&endpoint, &rfc_device(), b"{}", 60).await else {
            unreachable!("plain http went out without the test suite's flag")
        };
        assert!(!why.contains("sams-phone-secret"), "{why}");
    }

    #[test]
    fn bad_device_keys_are_refused() {
        assert_eq!(DeviceKeys::parse("BCVx", "BTBZMqHH6r4Tts7J_aSIgg").err(), Some(KeyError::BadPublicKey));
        let not_on_curve = B64.encode([4u8; 65]);
        assert_eq!(DeviceKeys::parse(&not_on_curve, "BTBZMqHH6r4Tts7J_aSIgg").err(), Some(KeyError::BadPublicKey));
        let key = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        assert_eq!(DeviceKeys::parse(key, "short").err(), Some(KeyError::BadAuth));
    }
}
