//! Reading a request body: capped, parsed, and every failure a clear 4xx.

use baton::strict::Strict;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use worker::Request;

use crate::error::{AppError, MAX_BODY_BYTES};

/// The whole body, refusing more than `MAX_BODY_BYTES` whatever
/// `Content-Length` claims (a chunked body has none, and a header can lie).
pub async fn read_capped(req: &mut Request) -> Result<Vec<u8>, AppError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(AppError::TooLarge);
    }
    // A declared length frames the body (the runtime never hands on more),
    // so it is read in one piece; only a chunked body is counted as it comes.
    if declared.is_some() {
        return req
            .bytes()
            .await
            .map_err(|e| AppError::BadJson(format!("it could not be read to the end ({e})")));
    }
    // A request without a body has no stream: that is an empty body.
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| AppError::BadJson(format!("it could not be read to the end ({e})")))?;
        seen = seen.saturating_add(chunk.len());
        if seen > MAX_BODY_BYTES {
            // Read on, discarding, before answering: answering in the middle
            // of a streamed body cancels it, and a proxy in front that is
            // still sending loses its connection (wrangler's dev proxy then
            // fails the next request). Past DRAIN_LIMIT_BYTES we stop anyway.
            if seen > DRAIN_LIMIT_BYTES {
                return Err(AppError::TooLarge);
            }
            out = Vec::new();
            continue;
        }
        out.extend_from_slice(&chunk);
    }
    if seen > MAX_BODY_BYTES {
        return Err(AppError::TooLarge);
    }
    Ok(out)
}

/// How much of an oversized streamed body is read and thrown away.
const DRAIN_LIMIT_BYTES: usize = 1024 * 1024;

/// A JSON body, capped (`read_capped`) and with lone surrogates mended
/// (`mend_surrogates`): the bytes every JSON endpoint parses and stores.
pub async fn read_json(req: &mut Request) -> Result<Vec<u8>, AppError> {
    Ok(mend_surrogates(read_capped(req).await?))
}

/// A lone surrogate escaped in a JSON string (`"\ud800"`) becomes
/// `"\ufffd"` (the replacement character). JavaScript strings can hold one
/// (a paste cut mid-emoji) and `JSON.stringify` writes it escaped, but it is
/// no Unicode text and serde_json refuses the whole body; the visitor's lead
/// is kept instead, with that one character replaced, as browsers do when
/// they encode such a string. Escapes only occur inside strings, so a scan
/// of backslash escapes is enough. The bytes are unchanged when there is none.
pub fn mend_surrogates(mut bytes: Vec<u8>) -> Vec<u8> {
    fn hex4(b: &[u8]) -> Option<u16> {
        let s = std::str::from_utf8(b.get(..4)?).ok()?;
        u16::from_str_radix(s, 16).ok()
    }
    let escape_at = |b: &[u8], i: usize| -> Option<u16> {
        (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
            .then(|| hex4(b.get(i + 2..)?))
            .flatten()
    };
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) != Some(&b'\\') {
            i += 1;
            continue;
        }
        match escape_at(&bytes, i) {
            Some(0xD800..=0xDBFF) if matches!(escape_at(&bytes, i + 6), Some(0xDC00..=0xDFFF)) => {
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                if let Some(code) = bytes.get_mut(i + 2..i + 6) {
                    code.copy_from_slice(b"fffd");
                }
                i += 6;
            }
            Some(_) => i += 6,
            // `\\`, `\"` and the other two-byte escapes.
            None => i += 2,
        }
    }
    bytes
}

/// Any JSON value; a syntax error says where (`line 1 column 17`). Whole
/// numbers written as floats are read as integers (see `whole_numbers`).
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, AppError> {
    let mut json = serde_json::from_slice(bytes).map_err(|e| AppError::BadJson(e.to_string()))?;
    whole_numbers(&mut json, false);
    Ok(json)
}

/// JSON has one kind of number: `80.0` is the number 80, JSON Schema (and so
/// www/openapi.json) calls it an integer, and some serializers write whole
/// floats that way. serde reads it only as a float, so the whole numbers of
/// a body (`"v": 1.0`, a claimed `"score": 80.0`, an inline playbook's
/// points) become integers here, up to 2^53 where a float holds every
/// integer. The answers (`submission.fields`) are left as sent: each
/// field's kind judges its answer, on the edge as in the browser.
fn whole_numbers(v: &mut serde_json::Value, in_submission: bool) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT) {
                // In range and whole: the cast is exact.
                *n = (f as i64).into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| whole_numbers(x, false)),
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if !(in_submission && k == "fields") {
                    whole_numbers(x, k == "submission");
                }
            }
        }
        _ => {}
    }
}

/// A typed value from parsed JSON; a shape error names the path
/// (`submission.fields.employees: ...`). A struct must be a JSON object
/// here, never an array of its fields (`baton::strict`).
pub fn shape<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(Strict(&value)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            AppError::BadShape(inner.to_string())
        } else {
            AppError::BadShape(format!("`{path}`: {inner}"))
        }
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_lone_surrogate_becomes_the_replacement_character_and_nothing_else_changes() {
        let mend =
            |s: &str| String::from_utf8(super::mend_surrogates(s.as_bytes().to_vec())).unwrap();
        assert_eq!(mend(r#"{"a":"x\ud800y"}"#), r#"{"a":"x\ufffdy"}"#);
        assert_eq!(mend(r#"{"a":"\udc00"}"#), r#"{"a":"\ufffd"}"#);
        assert_eq!(
            mend(r#"{"a":"\ud800\ud800\udc00"}"#),
            r#"{"a":"\ufffd\ud800\udc00"}"#
        );
        for kept in [
            r#"{"a":"\ud83e\udd80 crab"}"#,
            r#"{"a":"\\ud800"}"#,
            r#"{"a":"\u00e9\n\"q\""}"#,
            "{}",
            r#"{"a":"\u"}"#,
        ] {
            assert_eq!(mend(kept), kept);
        }
        let v: serde_json::Value = serde_json::from_str(&mend(r#"{"a":"x\ud800"}"#)).unwrap();
        assert_eq!(v["a"], "x\u{fffd}");
    }
    use super::parse_json;

    #[test]
    fn whole_floats_of_the_envelope_are_integers_and_answers_stay_as_sent() {
        let body = br#"{"v": 1.0, "claimed": {"score": -29232.0, "half": 0.5, "huge": 1e300},
            "submission": {"fields": {"employees": 120.0}, "context": {"time_on_page_ms": 4000.0}},
            "playbook": {"rules": [{"points": 5.0}]}}"#;
        let v = parse_json(body).unwrap();
        assert!(v["v"].is_u64());
        assert_eq!(v["claimed"]["score"].as_i64(), Some(-29232));
        assert!(v["claimed"]["half"].is_f64());
        assert!(
            v["claimed"]["huge"].is_f64(),
            "past 2^53 a float is no exact integer"
        );
        assert!(
            v["submission"]["fields"]["employees"].is_f64(),
            "an answer is the field's to judge"
        );
        assert!(v["submission"]["context"]["time_on_page_ms"].is_u64());
        assert!(v["playbook"]["rules"][0]["points"].is_i64());
    }
}
