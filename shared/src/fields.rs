//! Field validation: a visitor's answers become normalized `Answer`s or
//! field errors (values, never panics), one per field at most.

use crate::email;
use crate::lead::{Answer, Text};
use crate::messages::{field_error, Limits};
use crate::playbook::{Field, Playbook};
use crate::raw::FieldKind;
use crate::text::fold_width;
use crate::wire::{FieldError, FieldErrorCode, Submission, Value};

/// Validates every field of the form; answers to unknown fields are ignored.
pub(crate) fn validate(
    playbook: &Playbook,
    submission: &Submission,
    lang: &str,
) -> (Vec<Answer>, Vec<FieldError>) {
    let mut answers = Vec::with_capacity(playbook.fields.len());
    let mut errors = Vec::new();
    for field in &playbook.fields {
        let value = submission.fields.get(&field.id).unwrap_or(&Value::Null);
        match check(field, value) {
            Ok(a) => answers.push(a),
            Err(code) => {
                errors.push(FieldError {
                    field: field.id.clone(),
                    code,
                    message: field_error(
                        lang,
                        code,
                        Limits {
                            min: field.min,
                            max: field.max,
                            max_length: u32::try_from(max_length(field)).ok(),
                        },
                    ),
                });
                // An invalid answer counts as no answer for scoring, so the
                // widget can still show a verdict while the visitor types.
                answers.push(Answer::Missing);
            }
        }
    }
    (answers, errors)
}

fn check(field: &Field, value: &Value) -> Result<Answer, FieldErrorCode> {
    use FieldErrorCode as C;
    let answer = match field.kind {
        FieldKind::Text | FieldKind::Hidden => text_of(value)?
            .map(|s| limit(field, s).map(|s| Answer::Text(Text::new(s))))
            .transpose()?,
        FieldKind::Email => match text_of(value)? {
            None => None,
            Some(s) => {
                if s.chars().count() > max_length(field) {
                    return Err(C::TooLong);
                }
                let domain = email::domain(&s).ok_or(C::InvalidEmail)?;
                // Keep the local part as typed, the domain normalized.
                let local = s.rsplit_once('@').map_or("", |(l, _)| l);
                Some(Answer::Text(Text::new(format!("{local}@{domain}"))))
            }
        },
        FieldKind::Phone => match text_of(value)? {
            None => None,
            Some(s) => {
                let s = limit(field, fold_width(&s).into_owned())?;
                let ok_chars = s
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-()./".contains(c));
                let digits = s.chars().filter(char::is_ascii_digit).count();
                if !ok_chars
                    || !(6..=15).contains(&digits)
                    || s.get(1..).is_some_and(|r| r.contains('+'))
                {
                    return Err(C::InvalidPhone);
                }
                Some(Answer::Text(Text::new(s)))
            }
        },
        FieldKind::Number => match number_of(value)? {
            None => None,
            Some(n) => {
                if field.min.is_some_and(|m| n < m) {
                    return Err(C::TooSmall);
                }
                if field.max.is_some_and(|m| n > m) {
                    return Err(C::TooLarge);
                }
                Some(Answer::Int(n))
            }
        },
        FieldKind::Select => match text_of(value)? {
            None => None,
            Some(s) => Some(Answer::Text(Text::new(option(field, &s)?))),
        },
        FieldKind::Multiselect => {
            let items: Vec<&Value> = match value {
                Value::List(l) => l.iter().collect(),
                Value::Null => Vec::new(),
                v => vec![v],
            };
            let mut chosen: Vec<String> = Vec::new();
            for item in items {
                if let Some(s) = text_of(item)? {
                    let o = option(field, &s)?;
                    if !chosen.contains(&o) {
                        chosen.push(o);
                    }
                }
            }
            // Playbook order, so the order of the visitor's clicks never matters.
            chosen.sort_by_key(|c| field.options.iter().position(|o| o == c));
            (!chosen.is_empty()).then(|| Answer::List(chosen.into_iter().map(Text::new).collect()))
        }
        FieldKind::Checkbox | FieldKind::Consent => {
            let b = bool_of(value)?;
            if field.kind == FieldKind::Consent && field.required && b != Some(true) {
                return Err(C::MustAccept);
            }
            if field.kind == FieldKind::Checkbox && field.required && b != Some(true) {
                return Err(C::Required);
            }
            Some(Answer::Bool(b.unwrap_or(false)))
        }
    };
    match answer {
        Some(a) => Ok(a),
        None if field.required => Err(C::Required),
        None => Ok(Answer::Missing),
    }
}

/// Trimmed text; blank is no answer. Numbers and booleans are accepted as text.
fn text_of(v: &Value) -> Result<Option<String>, FieldErrorCode> {
    match v {
        Value::Null => Ok(None),
        Value::Text(s) => {
            let t = s.trim();
            Ok((!t.is_empty()).then(|| t.to_owned()))
        }
        Value::Int(i) => Ok(Some(i.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Float(_) | Value::List(_) => Err(FieldErrorCode::WrongType),
    }
}

/// The longest answer a field takes, in characters: an address is also bound
/// by what SMTP allows, and the message must name the limit actually applied.
fn max_length(field: &Field) -> usize {
    let own = field.max_length as usize;
    if field.kind == FieldKind::Email {
        own.min(email::MAX_EMAIL)
    } else {
        own
    }
}

fn limit(field: &Field, s: String) -> Result<String, FieldErrorCode> {
    if s.chars().count() > field.max_length as usize {
        Err(FieldErrorCode::TooLong)
    } else {
        Ok(s)
    }
}

/// A whole number from a JSON number or from text as people type it:
/// full-width digits, thousands separators (`1,000`, `1 000`, `1'000`, `1_000`).
fn number_of(v: &Value) -> Result<Option<i64>, FieldErrorCode> {
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        Value::Float(f) => {
            // A float that is a whole number (JSON `120.0`) is that number.
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Ok(Some(*f as i64))
            } else {
                Err(FieldErrorCode::NotANumber)
            }
        }
        Value::Text(s) => {
            let folded = fold_width(s.trim());
            if folded.is_empty() {
                return Ok(None);
            }
            let cleaned: String = folded
                .chars()
                .filter(|c| !matches!(c, ',' | ' ' | '\'' | '_' | '\u{a0}' | '\u{202f}'))
                .collect();
            let digits = cleaned.strip_prefix(['-', '+']).unwrap_or(&cleaned);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FieldErrorCode::NotANumber);
            }
            cleaned
                .parse::<i64>()
                .map(Some)
                .map_err(|_| FieldErrorCode::TooLarge)
        }
        Value::Bool(_) | Value::List(_) => Err(FieldErrorCode::WrongType),
    }
}

fn bool_of(v: &Value) -> Result<Option<bool>, FieldErrorCode> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(Some(true)),
            "false" | "off" | "no" | "0" | "" => Ok(Some(false)),
            _ => Err(FieldErrorCode::WrongType),
        },
        Value::Int(1) => Ok(Some(true)),
        Value::Int(0) => Ok(Some(false)),
        _ => Err(FieldErrorCode::WrongType),
    }
}

/// The option's canonical value; API clients may differ in letter case.
fn option(field: &Field, s: &str) -> Result<String, FieldErrorCode> {
    field
        .options
        .iter()
        .find(|o| *o == s)
        .or_else(|| {
            field
                .options
                .iter()
                .find(|o| o.to_lowercase() == s.to_lowercase())
        })
        .cloned()
        .ok_or(FieldErrorCode::UnknownOption)
}
