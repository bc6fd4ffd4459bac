//! Standard Webhooks signatures (<https://www.standardwebhooks.com>), what
//! Svix, Zapier and the official verifier libraries check: the secret is
//! `whsec_` + base64 of random bytes, and a delivery carries
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
//!
//! Pure: the caller brings the secret, the id and the clock.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Why a secret cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a signing secret is `whsec_` followed by base64; this one is not base64: {0}")]
    NotBase64(String),
    /// The spec asks for 24 to 64 bytes; fewer is guessable.
    #[error("a signing secret needs 24 to 64 random bytes, this one has {0}: make one with `baton secret`")]
    WrongLength(usize),
}

/// A decoded signing secret.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material, not even in a panic message or a log.
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl Secret {
    /// Reads `whsec_<base64>` (the prefix is optional, as verifiers accept it).
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let b64 = text.trim().strip_prefix("whsec_").unwrap_or(text.trim());
        let bytes = STANDARD
            .decode(b64)
            .map_err(|e| SecretError::NotBase64(e.to_string()))?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(SecretError::WrongLength(bytes.len()));
        }
        Ok(Secret(bytes))
    }

    /// `whsec_` + base64 of `bytes`, the form the spec gives secrets.
    pub fn encode(bytes: &[u8]) -> String {
        format!("whsec_{}", STANDARD.encode(bytes))
    }

    /// The `webhook-signature` value for one delivery attempt: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body)))
    }

    /// Whether `header` (space-separated `v1,<sig>` entries, as during a
    /// secret rotation) holds a valid signature; compared in constant time.
    pub fn verify(&self, id: &str, timestamp: u64, body: &[u8], header: &str) -> bool {
        header.split(' ').any(|entry| {
            let Some(sig) = entry.strip_prefix("v1,") else {
                return false;
            };
            let Ok(sig) = STANDARD.decode(sig) else {
                return false;
            };
            self.hmac(id, timestamp, body).verify_slice(&sig).is_ok()
        })
    }

    fn hmac(&self, id: &str, timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
        // Any key length is valid for HMAC, so this cannot fail; the fallback
        // keeps `shared` free of `expect`.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)
            .unwrap_or_else(|_| Hmac::<Sha256>::new(&Default::default()));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    fn mac(&self, id: &str, timestamp: u64, body: &[u8]) -> Vec<u8> {
        self.hmac(id, timestamp, body)
            .finalize()
            .into_bytes()
            .to_vec()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The example the specification publishes, byte for byte.
    #[test]
    fn reproduces_the_specifications_example() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verifies_its_own_signatures_and_nothing_else() {
        let secret = Secret::parse(&Secret::encode(&[7u8; 32])).unwrap();
        let sig = secret.sign("msg_1", 10, b"{}");
        assert!(secret.verify("msg_1", 10, b"{}", &sig));
        assert!(secret.verify("msg_1", 10, b"{}", &format!("v1,AAAA {sig}")));
        assert!(!secret.verify("msg_2", 10, b"{}", &sig));
        assert!(!secret.verify("msg_1", 11, b"{}", &sig));
        assert!(!secret.verify("msg_1", 10, b"{ }", &sig));
        assert!(!secret.verify("msg_1", 10, b"{}", "v2,abc"));
        let other = Secret::parse(&Secret::encode(&[8u8; 32])).unwrap();
        assert!(!other.verify("msg_1", 10, b"{}", &sig));
    }

    #[test]
    fn refuses_secrets_that_are_not_base64_or_too_short() {
        assert!(matches!(
            Secret::parse("whsec_not base64!"),
            Err(SecretError::NotBase64(_))
        ));
        assert_eq!(
            Secret::parse(&Secret::encode(&[1u8; 8])).err(),
            Some(SecretError::WrongLength(8))
        );
        assert!(
            !format!("{:?}", Secret::parse(&Secret::encode(&[1u8; 24])).unwrap()).contains("AQEB")
        );
    }
}
