//! Text normalization shared by validation, compilation and evaluation, so a
//! rule and an answer are always compared in the same form.

/// Lowercased words: runs of letters and digits, everything else separates.
/// For ASCII this is exactly `/[^a-z0-9]+/` splitting of the lowercased text.
pub(crate) fn words(lower: &str) -> impl Iterator<Item = &str> {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Folds full-width forms (U+FF01..U+FF5E, as typed with East Asian input
/// methods) and the ideographic full stop to ASCII.
pub(crate) fn fold_width(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
                '\u{3000}' => ' ',
                '\u{3002}' | '\u{FF61}' => '.',
                _ => c,
            })
            .collect(),
    )
}

/// Lowercase, with an allocation-free path for text that is already lowercase.
pub(crate) fn lower(s: &str) -> String {
    if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        s.to_owned()
    } else {
        s.to_lowercase()
    }
}

/// A domain as rules compare it: width-folded, lowercase, no trailing dot.
pub(crate) fn normalize_domain(s: &str) -> String {
    let folded = fold_width(s.trim());
    let d = folded.trim_start_matches('@').trim_end_matches('.');
    lower(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_the_peer_engine() {
        let w: Vec<_> = words("vp, sales/marketing (emea)").collect();
        assert_eq!(w, ["vp", "sales", "marketing", "emea"]);
        assert_eq!(words("headcount").collect::<Vec<_>>(), ["headcount"]);
    }

    #[test]
    fn full_width_digits_fold_to_ascii() {
        assert_eq!(fold_width("１２０"), "120");
        assert_eq!(normalize_domain("Ｅｘａｍｐｌｅ．COM"), "example.com");
    }
}
