//! The consent record: for every consent field of the form, whether the
//! visitor ticked it and the exact words they were shown (the field's label
//! in the lead's locale), hashed, with the playbook version those words
//! come from. A required consent left unticked never gets here: validation
//! refuses the lead with a field error (`must_accept`).

use sha2::{Digest, Sha256};

use crate::raw::FieldKind;
use crate::records::ConsentRecord;
use crate::wire::{Submission, Value};
use crate::Playbook;

impl Playbook {
    /// One record per consent field, in form order; `at` is the lead's time.
    pub fn consents(&self, submission: &Submission, at: &str) -> Vec<ConsentRecord> {
        let locale = self.resolve_locale(submission.locale.as_deref()).to_owned();
        self.fields
            .iter()
            .filter(|f| f.kind == FieldKind::Consent)
            .map(|f| {
                let text = f.label.get(&locale, &self.raw.default_locale).to_owned();
                let granted = match submission.fields.get(&f.id) {
                    Some(Value::Bool(b)) => *b,
                    Some(Value::Int(1)) => true,
                    Some(Value::Text(t)) => {
                        matches!(
                            t.trim().to_ascii_lowercase().as_str(),
                            "true" | "on" | "yes" | "1"
                        )
                    }
                    _ => false,
                };
                ConsentRecord {
                    field: f.id.clone(),
                    granted,
                    text_sha256: hex(&Sha256::digest(text.as_bytes())),
                    text,
                    locale: locale.clone(),
                    playbook_version: self.version.clone(),
                    at: at.to_owned(),
                }
            })
            .collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for n in [b >> 4, b & 15] {
            out.push(char::from(HEX.get(usize::from(n)).copied().unwrap_or(b'0')));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn records_the_words_shown_in_the_visitors_locale_with_their_hash() {
        let pb = crate::parse_toml(include_str!("../../icp.toml")).unwrap();
        let mut s = Submission {
            locale: Some("de-AT".into()),
            ..Submission::default()
        };
        s.fields.insert("consent".into(), Value::Bool(true));
        let [c] = pb
            .consents(&s, "2026-12-03T10:00:00.000Z")
            .try_into()
            .unwrap();
        assert_eq!(c.field, "consent");
        assert!(c.granted);
        assert_eq!(c.locale, "de");
        assert!(c.text.starts_with("Ich bin einverstanden"), "{}", c.text);
        // tests/privacy.test.mjs checks it again with Node's own SHA-256.
        assert_eq!(c.text_sha256.len(), 64);
        assert_eq!(c.text_sha256, hex(&Sha256::digest(c.text.as_bytes())));
        assert_eq!(c.playbook_version, pb.version());
        s.fields.insert("consent".into(), Value::Text("off".into()));
        s.locale = Some("fr".into());
        let c = &pb.consents(&s, "t")[0];
        assert!(!c.granted);
        assert_eq!(
            c.locale, "en",
            "the playbook's default for a locale it has no text in"
        );
        assert!(c.text.starts_with("I agree"));
    }
}
