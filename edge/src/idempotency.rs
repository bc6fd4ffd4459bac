//! `Idempotency-Key` on `POST /v1/leads` (IETF httpapi draft
//! "The Idempotency-Key HTTP Header Field", as Stripe and others use it).
//!
//! The widget sends one key per lead and the same key on every retry. A
//! retry whose first attempt was stored (the answer was lost on the way back,
//! or another tab flushed the same outbox entry) gets the first answer again
//! instead of a second row and a second rep's turn.

use crate::error::AppError;

/// The header, as browsers and `fetch` send it (lowercase).
pub const HEADER: &str = "idempotency-key";
/// Set on an answer replayed from the first attempt.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Keys are opaque to us but bounded: UUIDs, ULIDs and Stripe-style keys fit.
const MAX_LEN: usize = 255;

/// The key, if the caller sent one, checked: 1 to 255 visible ASCII
/// characters. The draft sends it as a structured-field string (`"…"`);
/// plain tokens are accepted too, as most clients send them.
pub fn parse(header: Option<String>) -> Result<Option<String>, AppError> {
    let Some(raw) = header else {
        return Ok(None);
    };
    let trimmed = raw.trim();
    let key = trimmed
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(trimmed);
    if key.is_empty() || key.len() > MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::BadIdempotencyKey(raw));
    }
    Ok(Some(key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_tokens_and_quoted_strings() {
        assert_eq!(parse(None).ok(), Some(None));
        for (sent, key) in [
            ("01J9ZK3N1Q5V7W9X2Y4Z6A8B0C", "01J9ZK3N1Q5V7W9X2Y4Z6A8B0C"),
            (
                "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"",
                "8e03978e-40d5-43e8-bc93-6894a57f9324",
            ),
            (" key_1 ", "key_1"),
        ] {
            assert_eq!(
                parse(Some(sent.into())).ok().flatten().as_deref(),
                Some(key),
                "{sent:?}"
            );
        }
    }

    #[test]
    fn refuses_empty_long_and_invisible_keys() {
        for sent in ["", "\"\"", "two words", "ключ", &"k".repeat(256)] {
            assert!(parse(Some(sent.to_owned())).is_err(), "{sent:?}");
        }
    }
}
