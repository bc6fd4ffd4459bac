//! Field validation: a visitor's answers become normalized `Answer`s or
//! field errors (values, never panics), one per field at most.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::email;
use crate::lead::{Answer, Store, Text};
#[cfg(feature = "bulk")]
use crate::map::SortedMap;
use crate::messages::{field_error, Limits};
use crate::playbook::{Field, Playbook};
use crate::raw::FieldKind;
use crate::text::{byte_order, fold_width, lower, same_bytes, split_at_last_at};
use crate::wire::{FieldError, FieldErrorCode, Submission, Value};

/// A field that failed validation: its index in the playbook and why.
pub(crate) type Invalid = (usize, FieldErrorCode);

/// Validates every field of the form; answers to unknown fields are ignored.
/// Answers borrow from the submission and the playbook, so a valid lead costs
/// one allocation here; messages are made later, only for the fields that failed.
pub(crate) fn validate<'a>(
    playbook: &'a Playbook,
    submission: &'a Submission,
    store: &'a Store,
) -> (Vec<Answer<'a>>, Vec<Invalid>) {
    let mut answers = Vec::with_capacity(playbook.fields.len());
    answers.resize_with(playbook.fields.len(), || Answer::Missing);
    let mut invalid = Vec::new();
    // The submission's ids are sorted, and so are the fields taken in
    // `fields_by_id` order (see `merge`).
    let (ids, ends, values) = submission.fields.parts();
    // Nearly every submission has the same keys, every field's: then the
    // answers line up with the fields one to one (one comparison of the
    // packed keys, as an engine checks an object's hidden class).
    #[cfg(feature = "bulk")]
    let complete = {
        let (form_ids, form_ends, _) = playbook.complete.parts();
        ids == form_ids && ends == form_ends
    };
    #[cfg(not(feature = "bulk"))]
    let complete = false;
    let (mut at, mut start) = (0, 0);
    for (k, &i) in playbook.fields_by_id.iter().enumerate() {
        let (Some(field), Some(slot)) = (playbook.fields.get(i), answers.get_mut(i)) else {
            continue;
        };
        let id = field.id.as_bytes();
        let value = if complete {
            values.get(k).unwrap_or(&NULL)
        } else {
            merge(ids, ends, values, id, &mut at, &mut start)
        };
        match check(field, value, trimmed(value), store, slot) {
            Ok(()) => {}
            // An invalid answer counts as no answer for scoring (the slot stays
            // `Missing`), so the widget can still show a verdict while the visitor types.
            // Errors are listed in playbook order.
            Err(code) => {
                let at = invalid.partition_point(|&(j, _)| j < i);
                invalid.insert(at, (i, code));
            }
        }
    }
    (answers, invalid)
}

/// The indexes of `fields` in the byte order of their ids. An insertion
/// sort: forms are short, and `sort_by` would ship its own copy of the
/// standard sort (about 12 KB of wasm) to the widget for this one list.
pub(crate) fn by_id(fields: &[Field]) -> Vec<usize> {
    let id = |i: usize| fields.get(i).map_or("", |f| f.id.as_str());
    let mut order: Vec<usize> = Vec::with_capacity(fields.len());
    for i in 0..fields.len() {
        let at = order.partition_point(|&j| id(j) <= id(i));
        order.insert(at, i);
    }
    order
}

/// The answer to the field `id` in a submission's packed keys and values,
/// from key `at` (which starts at `start`) on; both move past what was read.
/// The fields come in byte order of their ids, as the keys do: one merge
/// finds every answer, where a lookup per field would compare strings all
/// over again.
#[inline(always)]
pub(crate) fn merge<'a>(
    ids: &str,
    ends: &[u32],
    values: &'a [Value],
    id: &[u8],
    at: &mut usize,
    start: &mut usize,
) -> &'a Value {
    while let (Some(&end), Some(v)) = (ends.get(*at), values.get(*at)) {
        let end = end as usize;
        let k = ids.as_bytes().get(*start..end).unwrap_or_default();
        // Nearly every submission answers every field: equal is checked
        // first, and cheaply. Past a match the merge moves on: the keys of
        // a map are unique, and so are field ids (compile checks them).
        // (The length from the offsets first: `same_bytes` checks it
        // too, but this lets a mismatch skip the words; 24 instructions a lead.)
        let order = if end.wrapping_sub(*start) == id.len() && same_bytes(k, id) {
            Ordering::Equal
        } else {
            byte_order(k, id)
        };
        if order == Ordering::Greater {
            break;
        }
        (*at, *start) = (*at + 1, end);
        if order == Ordering::Equal {
            return v;
        }
    }
    &NULL
}

/// The keys of a submission answering every field: the form's ids, packed
/// by `SortedMap` itself, so they compare with a submission's as packed.
#[cfg(feature = "bulk")]
pub(crate) fn complete(fields: &[Field]) -> SortedMap<()> {
    let mut keys = SortedMap::new();
    for f in fields {
        keys.insert_str(&f.id, ());
    }
    keys
}

pub(crate) static NULL: Value = Value::Null;

/// The field errors of `validate`, in the visitor's language.
pub(crate) fn errors(playbook: &Playbook, invalid: &[Invalid], lang: &str) -> Vec<FieldError> {
    invalid
        .iter()
        .filter_map(|&(i, code)| {
            let field = playbook.fields.get(i)?;
            Some(FieldError {
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
            })
        })
        .collect()
}

/// Checks one answer into `slot` (which holds `Missing`, and keeps it when
/// the answer is blank or invalid); `text` is `value` trimmed when it is text.
/// Written in place: an `Answer` moved out through `Option` and `Result`
/// was copied at every step.
pub(crate) fn check<'a>(
    field: &'a Field,
    value: &'a Value,
    text: &'a str,
    store: &'a Store,
    slot: &mut Answer<'a>,
) -> Result<(), FieldErrorCode> {
    use FieldErrorCode as C;
    let text_of = |v: &'a Value| text_in(v, text);
    let answer = match field.kind {
        FieldKind::Text | FieldKind::Hidden => text_of(value)?
            .map(|s| limit(field, s).map(|s| Answer::Text(Text::new(store.text(s), store))))
            .transpose()?,
        FieldKind::Email => match text_of(value)? {
            None => None,
            Some(s) => {
                if too_long(&s, max_length(field)) {
                    return Err(C::TooLong);
                }
                // Keep the local part as typed, the domain normalized.
                if let Some(plain) = plain_address(&s) {
                    let address = match (plain.domain_upper, s) {
                        (false, s) => s,
                        (true, s) => {
                            // Lowered in place: `format!` costs more than the copy.
                            let mut a = s.into_owned();
                            if let Some(domain) = a.get_mut(plain.at..) {
                                domain.make_ascii_lowercase();
                            }
                            Cow::Owned(a)
                        }
                    };
                    let address = store.text(address);
                    *slot = Answer::Text(Text::ascii(address, plain.local_upper));
                    return Ok(());
                }
                let domain = email::domain(&s).ok_or(C::InvalidEmail)?;
                let (local, typed) = split_at_last_at(&s).unwrap_or(("", ""));
                let address = if typed == domain {
                    s
                } else {
                    Cow::Owned(format!("{local}@{domain}"))
                };
                Some(Answer::Text(Text::new(store.text(address), store)))
            }
        },
        FieldKind::Phone => match text_of(value)? {
            None => None,
            Some(s) => {
                let s = limit(field, Cow::Owned(fold_width(&s).into_owned()))?;
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
                Some(Answer::Text(Text::new(store.text(s), store)))
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
            Some(s) => {
                let (index, o) = option(field, &s)?;
                // Compile keeps a fold per option.
                Some(Answer::Text(match field.option_folds.get(index) {
                    Some(fold) => Text::option(o, fold, index),
                    None => Text::new(o, store),
                }))
            }
        },
        FieldKind::Multiselect => {
            let items: Vec<&Value> = match value {
                Value::List(l) => l.iter().collect(),
                Value::Null => Vec::new(),
                v => vec![v],
            };
            let mut chosen: Vec<&str> = Vec::new();
            for item in items {
                if let Some(s) = text_in(item, trimmed(item))? {
                    let (_, o) = option(field, &s)?;
                    if !chosen.contains(&o) {
                        chosen.push(o);
                    }
                }
            }
            // Playbook order, so the order of the visitor's clicks never matters:
            // the options filtered, rather than the choices sorted (no sort in the widget's wasm).
            let chosen: Vec<Text> = field
                .options
                .iter()
                .zip(&field.option_folds)
                .enumerate()
                .filter(|(_, (o, _))| chosen.contains(&o.as_str()))
                .map(|(i, (o, f))| Text::option(o, f, i))
                .collect();
            (!chosen.is_empty()).then_some(Answer::List(chosen))
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
        Some(a) => {
            *slot = a;
            Ok(())
        }
        None if field.required => Err(C::Required),
        None => Ok(()),
    }
}

/// A text answer trimmed; `""` for any other answer.
pub(crate) fn trimmed(v: &Value) -> &str {
    let Value::Text(s) = v else {
        return "";
    };
    // Printable ASCII at both ends is never whitespace: skip the trim.
    let edge = |b: Option<&u8>| b.is_some_and(|b| (0x21..0x7f).contains(b));
    if edge(s.as_bytes().first()) && edge(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// Text of an answer (`trimmed` is `v` trimmed); blank is no answer. Numbers
/// and booleans are accepted as text.
fn text_in<'a>(v: &'a Value, trimmed: &'a str) -> Result<Option<Cow<'a, str>>, FieldErrorCode> {
    match v {
        Value::Null => Ok(None),
        Value::Text(_) => Ok((!trimmed.is_empty()).then_some(Cow::Borrowed(trimmed))),
        Value::Int(i) => Ok(Some(Cow::Owned(i.to_string()))),
        Value::Bool(b) => Ok(Some(Cow::Owned(b.to_string()))),
        Value::Float(_) | Value::List(_) => Err(FieldErrorCode::WrongType),
    }
}

/// The longest answer a field takes, in characters: an address is also bound
/// by what SMTP allows, and the message must name the limit actually applied.
pub(crate) fn max_length(field: &Field) -> usize {
    let own = field.max_length as usize;
    if field.kind == FieldKind::Email {
        own.min(email::MAX_EMAIL)
    } else {
        own
    }
}

/// Whether `s` has more than `max` characters. A text is never longer in
/// characters than in bytes: they are counted only when it could matter.
#[inline]
pub(crate) fn too_long(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().count() > max
}

fn limit<'a>(field: &Field, s: Cow<'a, str>) -> Result<Cow<'a, str>, FieldErrorCode> {
    if too_long(&s, field.max_length as usize) {
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
            if f.fract() != 0.0 || !f.is_finite() {
                Err(FieldErrorCode::NotANumber)
            } else if f.abs() < 9.0e15 {
                Ok(Some(*f as i64))
            } else {
                // A whole number past what an answer can hold (JSON numbers
                // beyond i64 arrive as floats) is out of range, not "not a number".
                Err(out_of_range(f.is_sign_negative()))
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
                .map_err(|_| out_of_range(cleaned.starts_with('-')))
        }
        Value::Bool(_) | Value::List(_) => Err(FieldErrorCode::WrongType),
    }
}

/// The error for a whole number too far from zero to hold: below any minimum
/// when negative, above any maximum otherwise.
fn out_of_range(negative: bool) -> FieldErrorCode {
    if negative {
        FieldErrorCode::TooSmall
    } else {
        FieldErrorCode::TooLarge
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

/// An address in the shape nearly every address has (printable ASCII, one
/// `@`, a plain local part, a plain domain): where its domain starts and
/// which part has capitals. `None` when `email::domain` must decide. Where it
/// answers it agrees with `email::domain` (the test below checks
/// exhaustively), in one pass over the bytes, without the allocations and
/// character decoding the general check needs per lead.
pub(crate) struct PlainAddress {
    /// The index of the `@`.
    pub at: usize,
    pub local_upper: bool,
    pub domain_upper: bool,
}

pub(crate) fn plain_address(s: &str) -> Option<PlainAddress> {
    let b = s.as_bytes();
    // The local part: printable ASCII, no `.` at either end or twice in a row.
    let mut i = 0;
    let mut prev = b'.';
    let mut local_upper = false;
    let at = loop {
        let c = *b.get(i)?;
        if c == b'@' {
            break i;
        }
        if !(0x21..=0x7e).contains(&c) || (c == b'.' && prev == b'.') {
            return None;
        }
        local_upper |= c.is_ascii_uppercase();
        prev = c;
        i += 1;
    };
    if at == 0 || at > 64 || prev == b'.' {
        return None;
    }
    // The domain: labels of letters, digits and `-` between dots, 1 to 63
    // characters, no hyphen at either end; at least two of them, the last not
    // all digits (that is an IP address). A second `@` is no plain address.
    let (mut labels, mut len, mut digits, mut domain_upper) = (0, 0, true, false);
    prev = b'.';
    for &c in b.get(at + 1..)? {
        if c == b'.' {
            if len == 0 || len > 63 || prev == b'-' {
                return None;
            }
            (labels, len, digits) = (labels + 1, 0, true);
        } else if c.is_ascii_alphanumeric() || (c == b'-' && len > 0) {
            len += 1;
            digits &= c.is_ascii_digit();
            domain_upper |= c.is_ascii_uppercase();
        } else {
            return None;
        }
        prev = c;
    }
    if len == 0 || len > 63 || prev == b'-' || labels < 1 || digits || b.len() - at - 1 > 253 {
        return None;
    }
    Some(PlainAddress {
        at,
        local_upper,
        domain_upper,
    })
}

/// A hash of an option's value from its length and three of its bytes: the
/// options of one field nearly always differ in these.
#[cfg(feature = "bulk")]
#[inline(always)]
fn option_hash(s: &[u8]) -> usize {
    let byte = |i: usize| u32::from(s.get(i).copied().unwrap_or(0));
    let x = byte(0) | byte(1) << 8 | byte(s.len().wrapping_sub(1)) << 16 | (s.len() as u32) << 24;
    (x.wrapping_mul(0x9e37_79b1) >> 16) as usize
}

/// An open-addressed table of a field's options for `option`: a power of
/// two of slots, at least twice as many as options, each 0 (empty) or an
/// option's index + 1, at its `option_hash` or the first empty slot after it.
/// No table (empty) past what `u16` indexes can hold: `option` scans instead.
#[cfg(feature = "bulk")]
pub(crate) fn option_slots(options: &[String]) -> Vec<u16> {
    if options.is_empty() || options.len() > 0x7fff {
        return Vec::new();
    }
    let mut slots = vec![0u16; (2 * options.len()).next_power_of_two()];
    let mask = slots.len() - 1;
    for (i, o) in options.iter().enumerate() {
        // A repeated value keeps its first index, as a scan would find it.
        if options.get(..i).is_some_and(|before| before.contains(o)) {
            continue;
        }
        let Ok(index) = u16::try_from(i + 1) else {
            return Vec::new();
        };
        let mut at = option_hash(o.as_bytes());
        while let Some(slot) = slots.get_mut(at & mask) {
            if *slot == 0 {
                *slot = index;
                break;
            }
            at = (at & mask) + 1;
        }
    }
    slots
}

/// The option typed exactly as listed (nearly always): the slot its hash
/// names, or the next ones.
#[cfg(feature = "bulk")]
pub(crate) fn exact_option<'a>(field: &'a Field, s: &str) -> Option<(usize, &'a str)> {
    let slots = &field.option_slots;
    if slots.is_empty() {
        return scan_options(field, s);
    }
    let mask = slots.len().wrapping_sub(1);
    let mut at = option_hash(s.as_bytes());
    while let Some(&slot) = slots.get(at & mask) {
        let i = usize::from(slot).checked_sub(1)?;
        if let Some(o) = field.options.get(i) {
            if same_bytes(o.as_bytes(), s.as_bytes()) {
                return Some((i, o));
            }
        }
        at = (at & mask) + 1;
    }
    None
}

/// The widget's build looks at one answer per keystroke: a scan, and no
/// table in its wasm.
#[cfg(not(feature = "bulk"))]
fn exact_option<'a>(field: &'a Field, s: &str) -> Option<(usize, &'a str)> {
    scan_options(field, s)
}

fn scan_options<'a>(field: &'a Field, s: &str) -> Option<(usize, &'a str)> {
    let mut options = field.options.iter().enumerate();
    let (i, o) = options.find(|(_, o)| same_bytes(o.as_bytes(), s.as_bytes()))?;
    Some((i, o))
}

/// The option's index and canonical value; API clients may differ in letter case.
fn option<'a>(field: &'a Field, s: &str) -> Result<(usize, &'a str), FieldErrorCode> {
    if let Some(exact) = exact_option(field, s) {
        return Ok(exact);
    }
    let s = lower(s);
    field
        .options
        .iter()
        .enumerate()
        .find(|(_, o)| lower(o) == s)
        .map(|(i, o)| (i, o.as_str()))
        .ok_or(FieldErrorCode::UnknownOption)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "bulk")]
    use crate::lead::OptionFold;

    /// Every string over an alphabet of the characters that matter to address
    /// syntax, up to `len` long.
    fn all_strings(alphabet: &[char], len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            let next: Vec<String> = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            out.extend(next.iter().cloned());
            last = next;
        }
        out
    }

    #[cfg(feature = "bulk")]
    #[test]
    fn every_option_is_found_at_its_first_index() {
        let mut options: Vec<String> = (0..40).map(|i| format!("o{i}")).collect();
        options.extend(["US", "us", "o7", "é", "c-level"].map(String::from));
        let field = Field {
            id: "f".into(),
            kind: FieldKind::Select,
            required: false,
            label: crate::raw::Localized::One("F".into()),
            option_folds: options.iter().map(|o| OptionFold::of(o)).collect(),
            option_slots: option_slots(&options),
            options: options.clone(),
            min: None,
            max: None,
            max_length: 100,
        };
        for o in &options {
            let first = options.iter().position(|x| x == o);
            assert_eq!(option(&field, o).ok().map(|(i, _)| i), first, "{o:?}");
        }
        // Other letter case: the first option equal ignoring case.
        assert_eq!(option(&field, "O3").ok(), Some((3, "o3")));
        assert_eq!(option(&field, "É").ok(), Some((43, "é")));
        assert_eq!(option(&field, "o40").ok(), None);
        assert!(option_slots(&[]).is_empty());
    }

    #[test]
    fn the_address_fast_path_agrees_with_the_general_check() {
        let mut cases = all_strings(&['a', 'Z', '7', '.', '-', '@', ' ', '"', 'é'], 6);
        // Around every length limit: 64 for the local part, 63 for a label,
        // 253 for the domain; and shapes the generator cannot reach.
        let label = |n: usize| "a".repeat(n);
        for n in [63, 64, 65] {
            cases.push(format!("{}@example.com", label(n)));
            cases.push(format!("x@{}.com", label(n)));
        }
        for n in [44, 45, 46] {
            // Domains of 252, 253 and 254 characters.
            let front = format!("{}.", label(50)).repeat(4);
            cases.push(format!("x@{front}{}.com", label(n)));
        }
        cases.extend(
            [
                "user0@web.de",
                "user5@ACME123.CO.UK",
                "a.b+c_d@sub.example.co.uk",
                "x@163.com",
                "x@1.2.3.4",
                "x@example.com.",
                "x@@example.com",
                "\"a@b\"@example.com",
                "x@ｅｘａｍｐｌｅ．com",
                "jörg@bücher.de",
                "tab\t@example.com",
                "x@exa_mple.com",
                "x@-example.com",
                "x@example-.com",
            ]
            .map(String::from),
        );
        let mut fast = 0;
        for s in &cases {
            if let Some(p) = plain_address(s) {
                fast += 1;
                let (local, domain) = s.split_at(p.at);
                let d = domain.get(1..).unwrap_or_default();
                assert_eq!(
                    email::domain(s).as_deref(),
                    Some(&*d.to_ascii_lowercase()),
                    "{s:?}"
                );
                assert_eq!(p.local_upper, local.bytes().any(|b| b.is_ascii_uppercase()));
                assert_eq!(p.domain_upper, d.bytes().any(|b| b.is_ascii_uppercase()));
            }
        }
        assert!(fast > 300, "the fast path took only {fast} cases");
        for common in [
            "user0@web.de",
            "user5@ACME123.CO.UK",
            "a.b+c_d@sub.example.co.uk",
        ] {
            assert!(plain_address(common).is_some(), "{common}");
        }
    }
}
